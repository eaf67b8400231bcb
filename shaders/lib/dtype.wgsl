// Float codecs on u32 bit patterns, in core WGSL (no shader-f16), bit for bit as src/io/safetensors/codec.ts:
// bf16 and f16 unpack from packed u32 words, pack with round-to-nearest-even. Everything is integer work (but for an
// f16 subnormal's value, an exact f32 product with a normal result), so NaN, infinities, signed zeros and subnormals
// keep their exact bits.

const DTYPE_F32: u32 = 0u;
const DTYPE_F16: u32 = 1u;
const DTYPE_BF16: u32 = 2u;

/** The 16-bit element `i` of a buffer of packed halves, given the word that holds it. */
fn half_of(word: u32, i: u32) -> u32 {
  return (word >> ((i & 1u) * 16u)) & 0xffffu;
}

fn bf16_to_f32_bits(h: u32) -> u32 {
  return h << 16u;
}

fn f16_to_f32_bits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let magnitude = h & 0x7fffu;
  // Normal: the exponent re-biased from 15 to 127; Inf and NaN (exponent 31) go to exponent 255.
  let normal = (magnitude << 13u) + select(0x38000000u, 0x70000000u, magnitude >= 0x7c00u);
  // Subnormal m·2^-24: exact in f32, where it is a normal number.
  let subnormal = bitcast<u32>(f32(magnitude) * 5.9604644775390625e-8);
  return sign | select(normal, subnormal, magnitude < 0x400u);
}

// The encoders are branch-free (each range computed, the right one selected): on a SIMD software rasteriser
// (SwiftShader), divergent branches cost every lane both sides.

fn f32_to_bf16_bits(b: u32) -> u32 {
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry into the exponent is correct rounding.
  let rounded = ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
  return select(rounded, ((b >> 16u) | 0x40u) & 0xffffu, (b & 0x7fffffffu) > 0x7f800000u);
}

fn f32_to_f16_bits(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let abs = b & 0x7fffffffu;
  // Normal f16 range: round on bit 13, then re-bias the exponent from 127 to 15.
  let normal = (abs + 0xfffu + ((abs >> 13u) & 1u) - 0x38000000u) >> 13u;
  // Subnormal f16 range: the significand shifted into place, ties to even; below 2^-25 the shift (clamped) leaves
  // nothing, and the rest is under half, so it rounds to zero.
  let shift = clamp(126u - min(abs >> 23u, 126u), 1u, 31u);
  let significand = (abs & 0x7fffffu) | 0x800000u;
  let kept = significand >> shift;
  let rest = significand & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  let subnormal = kept + select(0u, 1u, (rest > half) | ((rest == half) & ((kept & 1u) == 1u)));
  var h = select(subnormal, normal, abs >= 0x38800000u);
  // 65520 and above round to Inf; NaN stays NaN (quiet), its top payload bits kept.
  h = select(h, 0x7c00u, abs >= 0x477ff000u);
  h = select(h, 0x7e00u | ((abs >> 13u) & 0x3ffu), abs > 0x7f800000u);
  return sign | h;
}

/** f32 bits rounded to what `dtype` can hold, as f32 bits (round-to-nearest-even). */
fn round_f32_bits(b: u32, dtype: u32) -> u32 {
  if (dtype == DTYPE_BF16) {
    return f32_to_bf16_bits(b) << 16u;
  }
  if (dtype == DTYPE_F16) {
    return f16_to_f32_bits(f32_to_f16_bits(b));
  }
  return b;
}

/** Element `i` of an encoded buffer (u32 words) of `dtype`, as f32 bits. */
fn decode_bits(word: u32, i: u32, dtype: u32) -> u32 {
  if (dtype == DTYPE_BF16) {
    return bf16_to_f32_bits(half_of(word, i));
  }
  if (dtype == DTYPE_F16) {
    return f16_to_f32_bits(half_of(word, i));
  }
  return word;
}

/** The word index of element `i` in an encoded buffer of `dtype`. */
fn word_of(i: u32, dtype: u32) -> u32 {
  if (dtype == DTYPE_F32) {
    return i;
  }
  return i >> 1u;
}
