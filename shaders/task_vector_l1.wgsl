// task_vector_l1: per block of WORKGROUP elements and per model, the f32 partial L1 norms of δ_m before and after
// masking (DARE's rescale). Blocks are aligned to the tensor's element index; the host adds them in f64 in order.
// #include "lib/index.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/task_vector_mask.wgsl"

override MODELS: u32 = 1u;

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> models: array<Model>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> masks: array<u32>;

var<workgroup> sums: array<vec2<f32>, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3<u32>) {
  let block = flat_group(wid, groups);
  let i = block * WORKGROUP + lid;
  for (var m = 0u; m < MODELS; m++) {
    var s = vec2<f32>(0.0);
    if (i < params.count) {
      let d = abs(delta_of(m, i));
      s = vec2<f32>(d, select(0.0, d, kept(m, i)));
    }
    sums[lid] = s;
    workgroupBarrier();
    for (var width = WORKGROUP / 2u; width > 0u; width >>= 1u) {
      if (lid < width) {
        sums[lid] += sums[lid + width];
      }
      workgroupBarrier();
    }
    if (lid == 0u && block * WORKGROUP < params.count) {
      partials[(block * MODELS + m) * 2u] = sums[0].x;
      partials[(block * MODELS + m) * 2u + 1u] = sums[0].y;
    }
    workgroupBarrier();
  }
}
