// The entry point of a two-input element-wise kernel on encoded inputs (lib/two_inputs.wgsl): one invocation per pair
// of elements (2p, 2p + 1) below `params.count`, each calling the kernel's `fn combine(a: f32, b: f32) -> f32`. The
// output is stored in OUT_DTYPE's own encoding, rounded to nearest even: f32 words, or two halves packed in one word
// (so half-type outputs read back half the bytes, and no two invocations share a word).
// #include "lib/two_inputs.wgsl"
// #include "lib/index.wgsl"

override OUT_DTYPE: u32 = 0u;

@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn encode_half(v: f32) -> u32 {
  if (OUT_DTYPE == DTYPE_BF16) {
    return f32_to_bf16_bits(bitcast<u32>(v));
  }
  return f32_to_f16_bits(bitcast<u32>(v));
}

@compute @workgroup_size(WORKGROUP)
fn main(at: Invocation) {
  let i = invocation_index(at) * 2u;
  if (i >= params.count) {
    return;
  }
  let lo = combine(load_a(i), load_b(i));
  let has_hi = i + 1u < params.count;
  var hi = 0.0;
  if (has_hi) {
    hi = combine(load_a(i + 1u), load_b(i + 1u));
  }
  if (OUT_DTYPE == DTYPE_F32) {
    out[i] = bitcast<u32>(lo);
    if (has_hi) {
      out[i + 1u] = bitcast<u32>(hi);
    }
  } else {
    out[i / 2u] = encode_half(lo) | (select(0u, encode_half(hi), has_hi) << 16u);
  }
}
