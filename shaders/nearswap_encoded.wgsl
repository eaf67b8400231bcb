// nearswap on encoded inputs (a = base, b = the other model): as nearswap.wgsl, without the decode pass.
// #include "lib/per_eight.wgsl"

struct Params {
  count: u32,
  t: f32,
}

@group(0) @binding(3) var<uniform> params: Params;

fn combine(b: vec4<f32>, x: vec4<f32>) -> vec4<f32> {
  let w = clamp(params.t / max(abs(b - x), vec4<f32>(1e-6)), vec4<f32>(0.0), vec4<f32>(1.0));
  return w * x + (1.0 - w) * b;
}
