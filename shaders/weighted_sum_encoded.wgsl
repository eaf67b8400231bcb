// weighted_sum of two encoded inputs (a = input 0, b = input 1): as weighted_sum.wgsl, same order of operations,
// without the decode pass.
// #include "lib/per_eight.wgsl"

struct Params {
  count: u32,
  w0: f32,
  w1: f32,
  divisor: f32,
}

@group(0) @binding(3) var<uniform> params: Params;

fn combine(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  var sum = vec4<f32>(0.0);
  sum += params.w0 * a;
  sum += params.w1 * b;
  return sum / params.divisor;
}
