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
