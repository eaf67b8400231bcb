// The entry point of a two-input element-wise kernel on encoded inputs (lib/two_inputs.wgsl): one invocation per pair
// of elements (2p, 2p + 1) below `params.count`, each calling the kernel's `fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32>` on both at once. The
// output is rounded to OUT_DTYPE (nearest even): BF16 as two halves packed in one word (half the readback bytes; no two
// invocations share a word), F16 and F32 as f32 words.
// #include "lib/two_inputs.wgsl"
// #include "lib/index.wgsl"

override OUT_DTYPE: u32 = 0u;

@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WORKGROUP)
fn main(at: Invocation) {
  let i = invocation_index(at) * 2u;
  if (i >= params.count) {
    return;
  }
  let y = bitcast<vec2<u32>>(combine(load_a2(i), load_b2(i)));
  let has_hi = i + 1u < params.count;
  if (OUT_DTYPE == DTYPE_BF16) {
    out[i / 2u] = f32_to_bf16_bits(y.x) | (select(0u, f32_to_bf16_bits(y.y), has_hi) << 16u);
  } else {
    out[i] = round_f32_bits(y.x, OUT_DTYPE);
    if (has_hi) {
      out[i + 1u] = round_f32_bits(y.y, OUT_DTYPE);
    }
  }
}
