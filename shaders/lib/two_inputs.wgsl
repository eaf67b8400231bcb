// Two inputs read in their stored encoding (no decode pass): `a_src` and `b_src` are the encoded words of dtypes
// A_DTYPE and B_DTYPE (override constants); load_a(i) / load_b(i) give element i as f32, bit for bit as decode.wgsl.
// #include "lib/dtype.wgsl"

override A_DTYPE: u32 = 0u;
override B_DTYPE: u32 = 0u;

@group(0) @binding(0) var<storage, read> a_src: array<u32>;
@group(0) @binding(1) var<storage, read> b_src: array<u32>;

fn load_a(i: u32) -> f32 {
  return bitcast<f32>(decode_bits(a_src[word_of(i, A_DTYPE)], i, A_DTYPE));
}

fn load_b(i: u32) -> f32 {
  return bitcast<f32>(decode_bits(b_src[word_of(i, B_DTYPE)], i, B_DTYPE));
}

/** Elements i and i + 1 (i even) from their words: one word of two halves, or two f32 words. */
fn decode_pair(lo: u32, hi: u32, dtype: u32) -> vec2<f32> {
  if (dtype == DTYPE_F32) {
    return bitcast<vec2<f32>>(vec2<u32>(lo, hi));
  }
  return bitcast<vec2<f32>>(vec2<u32>(decode_bits(lo, 0u, dtype), decode_bits(lo, 1u, dtype)));
}

// Elements i and i + 1 (i even) of a or b, each word loaded once. Past the last element (an odd count) the second is
// garbage for the caller to ignore: for f32 that read lies past the buffer, which WGSL's robust access keeps harmless.
fn load_a2(i: u32) -> vec2<f32> {
  if (A_DTYPE == DTYPE_F32) {
    return decode_pair(a_src[i], a_src[i + 1u], A_DTYPE);
  }
  let word = a_src[i / 2u];
  return decode_pair(word, word, A_DTYPE);
}

fn load_b2(i: u32) -> vec2<f32> {
  if (B_DTYPE == DTYPE_F32) {
    return decode_pair(b_src[i], b_src[i + 1u], B_DTYPE);
  }
  let word = b_src[i / 2u];
  return decode_pair(word, word, B_DTYPE);
}
