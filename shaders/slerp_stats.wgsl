// slerp_stats: per block of BLOCK consecutive elements, the f32 sums of a·a, b·b and a·b (a = base), added in index
// order by one invocation. Blocks are aligned to the tensor's element index; the host adds the partials in f64 in block
// order, so the statistics do not depend on where chunks are cut.
// #include "lib/per_block.wgsl"

struct Params {
  count: u32,
  stride: u32,
  base: u32,
  other: u32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn each_block(block: u32, first: u32, last: u32) {
  var s = vec3<f32>(0.0);
  for (var i = first; i < last; i++) {
    let a = values[params.base * params.stride + i];
    let b = values[params.other * params.stride + i];
    s += vec3<f32>(a * a, b * b, a * b);
  }
  partials[block * 3u] = s.x;
  partials[block * 3u + 1u] = s.y;
  partials[block * 3u + 2u] = s.z;
}
