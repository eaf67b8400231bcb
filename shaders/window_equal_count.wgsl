// window_equal_count: per block of WORKGROUP elements, how many elements have a key equal to each boundary key
// (counts[(block·MODELS + m)·2 + b]); window_scan.wgsl turns these into each block's count of earlier equal keys.
// #include "lib/index.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/window.wgsl"

override MODELS: u32 = 1u;
override DESCENDING: bool = true;

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> models: array<Model>;
@group(0) @binding(2) var<storage, read> windows: array<Window>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3<u32>) {
  let block = flat_group(wid, groups);
  let i = block * WORKGROUP + lid;
  if (i >= params.count) {
    return;
  }
  for (var m = 0u; m < MODELS; m++) {
    let w = windows[m];
    if (w.enabled == 0u) {
      continue;
    }
    let key = rank_key(m, i, DESCENDING);
    for (var b = 0u; b < 2u; b++) {
      if (has_boundary(w, b) && key == boundary_key(w, b)) {
        atomicAdd(&counts[(block * MODELS + m) * 2u + b], 1u);
      }
    }
  }
}
