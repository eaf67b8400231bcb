// slerp_stats on encoded inputs (a = base, b = the other model): as slerp_stats.wgsl, without the decode pass.
// #include "lib/two_inputs.wgsl"
// #include "lib/per_block.wgsl"

struct Params {
  count: u32,
}

@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn each_block(block: u32, first: u32, last: u32) {
  var s = vec3<f32>(0.0);
  for (var i = first; i < last; i++) {
    let a = load_a(i);
    let b = load_b(i);
    s += vec3<f32>(a * a, b * b, a * b);
  }
  partials[block * 3u] = s.x;
  partials[block * 3u + 1u] = s.y;
  partials[block * 3u + 2u] = s.z;
}
