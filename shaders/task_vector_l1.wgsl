// task_vector_l1: per block of BLOCK consecutive elements and per model, the f32 L1 norms of δ_m before and after
// masking (DARE's rescale) — or with SQUARES the sums of δ_m² (SCE's weights) — added in index order by one
// invocation. The host adds the blocks in f64 in order.
// #include "lib/per_block.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/task_vector_mask.wgsl"

override MODELS: u32 = 1u;
override SQUARES: bool = false;

@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn each_block(block: u32, first: u32, last: u32) {
  for (var m = 0u; m < MODELS; m++) {
    var s = vec2<f32>(0.0);
    for (var i = first; i < last; i++) {
      let delta = delta_of(m, i);
      let d = select(abs(delta), delta * delta, SQUARES);
      s += vec2<f32>(d, select(0.0, d, kept(m, i)));
    }
    partials[(block * MODELS + m) * 2u] = s.x;
    partials[(block * MODELS + m) * 2u + 1u] = s.y;
  }
}
