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
  // Two elements per step (each word loaded once), added in index order.
  for (var i = first; i < last; i += 2u) {
    let a = load_a2(i);
    let b = load_b2(i);
    s += vec3<f32>(a.x * a.x, b.x * b.x, a.x * b.x);
    if (i + 1u < last) {
      s += vec3<f32>(a.y * a.y, b.y * b.y, a.y * b.y);
    }
  }
  partials[block * 3u] = s.x;
  partials[block * 3u + 1u] = s.y;
  partials[block * 3u + 2u] = s.z;
}
