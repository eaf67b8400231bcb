// The entry point of a two-input element-wise kernel on encoded inputs (lib/two_inputs.wgsl): one invocation per group
// of eight elements 8g .. 8g + 7 (the last group may run past `params.count` into the bindings' padding), each calling
// the kernel's `fn combine(a: vec4<f32>, b: vec4<f32>) -> vec4<f32>` on its first and last four. The output is rounded
// to OUT_DTYPE (nearest even): BF16 as halves packed two per word (half the readback bytes), F16 and F32 as f32 words;
// the output binding is padded to whole groups as well.
// #include "lib/two_inputs.wgsl"
// #include "lib/index.wgsl"

override OUT_DTYPE: u32 = 0u;

@group(0) @binding(2) var<storage, read_write> out: array<vec4<u32>>;

/** Four values rounded to bf16, packed two per word. */
fn pack_bf16(y: vec4<u32>) -> vec2<u32> {
  return vec2<u32>(f32_to_bf16_bits(y.x) | (f32_to_bf16_bits(y.y) << 16u), f32_to_bf16_bits(y.z) | (f32_to_bf16_bits(y.w) << 16u));
}

/** Four values rounded to OUT_DTYPE, as f32 bits. */
fn round4(y: vec4<u32>) -> vec4<u32> {
  return vec4<u32>(round_f32_bits(y.x, OUT_DTYPE), round_f32_bits(y.y, OUT_DTYPE), round_f32_bits(y.z, OUT_DTYPE), round_f32_bits(y.w, OUT_DTYPE));
}

@compute @workgroup_size(WORKGROUP)
fn main(at: Invocation) {
  let g = invocation_index(at);
  if (g >= (params.count + 7u) / 8u) {
    return;
  }
  let a = load_a8(g);
  let b = load_b8(g);
  let lo = bitcast<vec4<u32>>(combine(a.lo, b.lo));
  let hi = bitcast<vec4<u32>>(combine(a.hi, b.hi));
  if (OUT_DTYPE == DTYPE_BF16) {
    out[g] = vec4<u32>(pack_bf16(lo), pack_bf16(hi));
  } else {
    out[2u * g] = round4(lo);
    out[2u * g + 1u] = round4(hi);
  }
}
