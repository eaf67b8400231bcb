// The bench's plain element-wise kernel: a + b over two encoded inputs, through the same entry point, loads and
// output packing as the two-input ops (lib/per_eight.wgsl): what a sub-chunk costs with no arithmetic to speak of.
// #include "lib/per_eight.wgsl"

struct Params {
  count: u32,
}

@group(0) @binding(3) var<uniform> params: Params;

fn combine(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  return a + b;
}
