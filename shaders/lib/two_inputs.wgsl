// Two inputs read in their stored encoding (no decode pass): `a_src` and `b_src` hold the encoded words of dtypes
// A_DTYPE and B_DTYPE (override constants), bound padded to whole groups of eight elements (kernels/encoded.ts; the
// padding holds garbage for the kernel to leave out). load_a8(g) / load_b8(g) give elements 8g .. 8g + 7 as f32, bit
// for bit as decode.wgsl: one 16-byte load for bf16 and f16, two for f32. Eight elements per invocation keep the
// per-invocation cost (index, bounds checks, loop) small beside the work; on SwiftShader it dominated at two.
// #include "lib/dtype.wgsl"

override A_DTYPE: u32 = 0u;
override B_DTYPE: u32 = 0u;

@group(0) @binding(0) var<storage, read> a_src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> b_src: array<vec4<u32>>;

/** Eight consecutive elements: the first four in `lo`, the next four in `hi`. */
struct Eight {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

/** Element `k` (< 8) of a group. */
fn lane(e: Eight, k: u32) -> f32 {
  return select(e.hi[k & 3u], e.lo[k & 3u], k < 4u);
}

/** The four halves packed in words x and y (x's low half first) as f32. */
fn decode_halves(x: u32, y: u32, dtype: u32) -> vec4<f32> {
  if (dtype == DTYPE_BF16) {
    return bitcast<vec4<f32>>(vec4<u32>(x << 16u, x & 0xffff0000u, y << 16u, y & 0xffff0000u));
  }
  return bitcast<vec4<f32>>(vec4<u32>(f16_to_f32_bits(x & 0xffffu), f16_to_f32_bits(x >> 16u), f16_to_f32_bits(y & 0xffffu), f16_to_f32_bits(y >> 16u)));
}

/** A group of eight from its words: one vec4 of packed halves, or two of f32 (`w`, `w2`). */
fn decode_eight(w: vec4<u32>, w2: vec4<u32>, dtype: u32) -> Eight {
  if (dtype == DTYPE_F32) {
    return Eight(bitcast<vec4<f32>>(w), bitcast<vec4<f32>>(w2));
  }
  return Eight(decode_halves(w.x, w.y, dtype), decode_halves(w.z, w.w, dtype));
}

fn load_a8(g: u32) -> Eight {
  if (A_DTYPE == DTYPE_F32) {
    return decode_eight(a_src[2u * g], a_src[2u * g + 1u], A_DTYPE);
  }
  return decode_eight(a_src[g], vec4<u32>(), A_DTYPE);
}

fn load_b8(g: u32) -> Eight {
  if (B_DTYPE == DTYPE_F32) {
    return decode_eight(b_src[2u * g], b_src[2u * g + 1u], B_DTYPE);
  }
  return decode_eight(b_src[g], vec4<u32>(), B_DTYPE);
}
