// nearswap on encoded inputs (a = base, b = the other model): as nearswap.wgsl, without the decode pass. max and clamp
// work on the bit patterns (integer min/max; measured faster on SwiftShader than the float ones): for non-negative
// floats the patterns order as the values, and a negative quotient (a negative t) is a negative i32, clamped to 0.
// #include "lib/per_eight.wgsl"

struct Params {
  count: u32,
  t: f32,
}

@group(0) @binding(3) var<uniform> params: Params;

/** 1e-6 as f32 bits. */
const MIN_DIFFERENCE: u32 = 0x358637bdu;
/** 1.0 as f32 bits. */
const ONE: i32 = 0x3f800000;

fn combine(b: vec4<f32>, x: vec4<f32>) -> vec4<f32> {
  let d = bitcast<vec4<f32>>(max(bitcast<vec4<u32>>(abs(b - x)), vec4<u32>(MIN_DIFFERENCE)));
  let w = bitcast<vec4<f32>>(clamp(bitcast<vec4<i32>>(params.t / d), vec4<i32>(0), vec4<i32>(ONE)));
  return w * x + (1.0 - w) * b;
}
