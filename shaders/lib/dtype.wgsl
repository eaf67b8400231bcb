// Float codecs on u32 bit patterns, in core WGSL (no shader-f16), bit for bit as src/io/safetensors/codec.ts:
// bf16 and f16 unpack from packed u32 words, pack with round-to-nearest-even. Everything is integer work, so NaN,
// infinities, signed zeros and subnormals keep their exact bits.

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
  let exponent = (h >> 10u) & 0x1fu;
  let mantissa = h & 0x3ffu;
  if (exponent == 31u) {
    return sign | 0x7f800000u | (mantissa << 13u);
  }
  if (exponent != 0u) {
    return sign | ((exponent + 112u) << 23u) | (mantissa << 13u);
  }
  if (mantissa == 0u) {
    return sign;
  }
  // Subnormal m·2^-24: normalise on the leading bit p, giving 2^(p-24)·1.f.
  let p = firstLeadingBit(mantissa);
  return sign | ((p + 103u) << 23u) | ((mantissa << (23u - p)) & 0x7fffffu);
}

fn f32_to_bf16_bits(b: u32) -> u32 {
  if ((b & 0x7fffffffu) > 0x7f800000u) {
    return ((b >> 16u) | 0x40u) & 0xffffu;
  }
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry into the exponent is correct rounding.
  return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
}

fn f32_to_f16_bits(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let abs = b & 0x7fffffffu;
  if (abs > 0x7f800000u) {
    return sign | 0x7e00u | ((abs >> 13u) & 0x3ffu);
  }
  // 65520 and above round to Inf.
  if (abs >= 0x477ff000u) {
    return sign | 0x7c00u;
  }
  // Normal f16 range: round on bit 13, then re-bias the exponent from 127 to 15.
  if (abs >= 0x38800000u) {
    let rounded = abs + 0xfffu + ((abs >> 13u) & 1u);
    return sign | ((rounded - 0x38000000u) >> 13u);
  }
  // Subnormal f16 range: below 2^-25 everything rounds to zero.
  let exponent = abs >> 23u;
  if (exponent < 102u) {
    return sign;
  }
  let significand = (abs & 0x7fffffu) | 0x800000u;
  let shift = 126u - exponent;
  let kept = significand >> shift;
  let rest = significand & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (kept & 1u) == 1u)) {
    return sign | (kept + 1u);
  }
  return sign | kept;
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
