// window_mask: the keep mask of each model with a window (masks[m·stride + i] = 1 or 0). An element equal to a
// boundary key learns how many equal keys precede it: the block's prefix (window_scan.wgsl) plus a scan inside the
// workgroup.
// #include "lib/index.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/window.wgsl"

override MODELS: u32 = 1u;
override DESCENDING: bool = true;

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> models: array<Model>;
@group(0) @binding(2) var<storage, read> windows: array<Window>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> prefix: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_masks: array<u32>;

var<workgroup> scan: array<u32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3<u32>) {
  let block = flat_group(wid, groups);
  let i = block * WORKGROUP + lid;
  let inside = i < params.count;
  for (var m = 0u; m < MODELS; m++) {
    let w = windows[m];
    var key = 0u;
    if (inside) {
      key = rank_key(m, i, DESCENDING);
    }
    var keep = true;
    for (var b = 0u; b < 2u; b++) {
      let equal = inside && has_boundary(w, b) && key == boundary_key(w, b);
      // Inclusive Hillis–Steele scan of the equal flags over the workgroup.
      scan[lid] = select(0u, 1u, equal);
      workgroupBarrier();
      for (var offset = 1u; offset < WORKGROUP; offset <<= 1u) {
        var add = 0u;
        if (lid >= offset) {
          add = scan[lid - offset];
        }
        workgroupBarrier();
        scan[lid] += add;
        workgroupBarrier();
      }
      let before = scan[lid] - select(0u, 1u, equal);
      workgroupBarrier();
      if (inside && has_boundary(w, b)) {
        let bound = boundary_key(w, b);
        let seen = prefix[(block * MODELS + m) * 2u + b] + before;
        if (b == 0u) {
          keep = keep && (key > bound || (key == bound && seen >= w.lower_skip));
        } else {
          keep = keep && (key < bound || (key == bound && seen < w.upper_limit));
        }
      }
    }
    if (inside && w.enabled != 0u) {
      out_masks[m * params.stride + i] = select(0u, 1u, keep);
    }
  }
}
