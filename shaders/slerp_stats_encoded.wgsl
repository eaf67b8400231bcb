// slerp_stats on encoded inputs (a = base, b = the other model): as slerp_stats.wgsl, without the decode pass; the
// three sums of a block added in index order.
// #include "lib/pair_reduction.wgsl"

struct Params {
  count: u32,
}

@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<private> sums: vec3<f32>;

fn start_block() {
  sums = vec3<f32>(0.0);
}

fn add_element(a: f32, b: f32) {
  sums += vec3<f32>(a * a, b * b, a * b);
}

fn end_block(block: u32) {
  partials[block * 3u] = sums.x;
  partials[block * 3u + 1u] = sums.y;
  partials[block * 3u + 2u] = sums.z;
}
