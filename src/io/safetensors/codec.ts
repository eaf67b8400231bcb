/**
 * Float codecs between safetensors bytes (little-endian) and f32, with round-to-nearest-even on narrowing, as
 * torch's `.to()` does (mergekit-spec §6.2). Everything is integer bit work so that the WGSL kernels can do exactly
 * the same; no per-element allocation.
 */
import { assert } from '../../shared/assert';
import { simdDecodeBf16, simdEncodeBf16, simdEncodeF16, simdRoundBf16 } from './codec-simd';
import type { FloatDType } from './dtype';

/** Below this many elements the TypeScript loops are as fast as a trip through WebAssembly memory. */
const SIMD_MIN = 64;

const scratch = new DataView(new ArrayBuffer(4));

// Every JS engine we run on is little-endian, which lets typed-array views read safetensors bytes directly.
assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'a little-endian platform is required');

/** bf16 bits → f32 value (exact: bf16 is the top half of an f32). */
export function bf16ToF32(bits: number): number {
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}

/** f16 bits → f32 value (exact). */
export function f16ToF32(bits: number): number {
  scratch.setUint32(0, f16BitsToF32Bits(bits));
  return scratch.getFloat32(0);
}

/** f32 value → bf16 bits, round-to-nearest-even; NaN stays NaN (made quiet), ±Inf and -0 are kept. */
export function f32ToBf16(value: number): number {
  scratch.setFloat32(0, value);
  return f32BitsToBf16Bits(scratch.getUint32(0));
}

/** f32 value → f16 bits, round-to-nearest-even; overflow gives ±Inf, tiny values give subnormals or ±0. */
export function f32ToF16(value: number): number {
  scratch.setFloat32(0, value);
  return f32BitsToF16Bits(scratch.getUint32(0));
}

export function f32BitsToBf16Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x0040) & 0xffff;
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry into the exponent is correct rounding
  // (up to Inf at the top of the range).
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Smallest |f32| that rounds to f16 Inf: 65520, halfway between 65504 (max f16) and 65536; the tie goes up to even. */
const F16_OVERFLOW = 0x477ff000;
/** 2^-14, the smallest normal f16. */
const F16_MIN_NORMAL = 0x38800000;

export function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00 | ((abs >>> 13) & 0x3ff);
  if (abs >= F16_OVERFLOW) return sign | 0x7c00;
  if (abs >= F16_MIN_NORMAL) {
    const rounded = abs + 0xfff + ((abs >>> 13) & 1);
    // Re-bias the exponent from 127 to 15: subtract (127 - 15) << 23.
    return sign | ((rounded - 0x38000000) >>> 13);
  }
  return sign | f32SubnormalRangeToF16(abs);
}

/**
 * |x| < 2^-14 becomes an f16 subnormal m·2^-24 (m may round up to 1024, which is exactly the smallest normal's
 * bit pattern). Works on the f32 significand with its hidden bit, shifting right with round-to-nearest-even.
 */
function f32SubnormalRangeToF16(abs: number): number {
  const exponent = abs >>> 23;
  // Below 2^-25 everything rounds to zero (2^-25 itself is a tie with 0 and rounds to even, i.e. 0).
  if (exponent < 102) return 0;
  const significand = (abs & 0x7fffff) | 0x800000;
  // value = significand · 2^(exponent-150); in units of 2^-24 that is significand >> (126 - exponent).
  const shift = 126 - exponent;
  const kept = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 31) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal: normalise the mantissa.
  let e = 113;
  let m = mantissa;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e -= 1;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** All 65,536 f16 values as f32 bits: 256 kB, built on first use, makes bulk f16 decoding a table lookup. */
let f16Table: Uint32Array | undefined;
function f16ToF32Table(): Uint32Array {
  if (f16Table === undefined) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

/** Bytes of `count` elements of `dtype`. */
export function floatBytes(dtype: FloatDType, count: number): number {
  return dtype === 'F32' ? count * 4 : count * 2;
}

/**
 * Decodes `out.length` elements of `dtype` from `bytes` into `out`. `bytes` may be an unaligned view (safetensors
 * does not promise alignment).
 */
export function decodeToF32(dtype: FloatDType, bytes: Uint8Array, out: Float32Array): void {
  const count = out.length;
  assert(bytes.byteLength === floatBytes(dtype, count), `decode of ${count} ${dtype} needs ${floatBytes(dtype, count)} bytes`);
  if (dtype === 'F32') {
    new Uint8Array(out.buffer, out.byteOffset, count * 4).set(bytes);
    return;
  }
  if (dtype === 'BF16' && count >= SIMD_MIN && simdDecodeBf16(bytes, out)) return;
  const halves = u16View(bytes, count);
  const out32 = new Uint32Array(out.buffer, out.byteOffset, count);
  if (dtype === 'BF16') {
    for (let i = 0; i < count; i++) out32[i] = (halves[i] as number) << 16;
  } else {
    const table = f16ToF32Table();
    for (let i = 0; i < count; i++) out32[i] = table[halves[i] as number] as number;
  }
}

/** Encodes `values` into `out` as `dtype` bytes, rounding to nearest even. `out` may be unaligned. */
export function encodeFromF32(dtype: FloatDType, values: Float32Array, out: Uint8Array): void {
  const count = values.length;
  assert(out.byteLength === floatBytes(dtype, count), `encode of ${count} ${dtype} needs ${floatBytes(dtype, count)} bytes`);
  if (dtype === 'F32') {
    out.set(new Uint8Array(values.buffer, values.byteOffset, count * 4));
    return;
  }
  if (dtype === 'BF16' && count >= SIMD_MIN && simdEncodeBf16(values, out)) return;
  if (dtype === 'F16' && count >= SIMD_MIN && simdEncodeF16(values, out)) return;
  const aligned = out.byteOffset % 2 === 0;
  const halves = aligned ? new Uint16Array(out.buffer, out.byteOffset, count) : new Uint16Array(count);
  if (dtype === 'BF16') {
    // Signed 32-bit views keep the loop in small-integer arithmetic (unsigned values above 2^31 would be doubles).
    const bits = new Int32Array(values.buffer, values.byteOffset, count);
    for (let i = 0; i < count; i++) halves[i] = bf16BitsOfInt(bits[i] as number);
  } else {
    const bits = new Uint32Array(values.buffer, values.byteOffset, count);
    for (let i = 0; i < count; i++) halves[i] = f32BitsToF16Bits(bits[i] as number);
  }
  if (!aligned) out.set(new Uint8Array(halves.buffer));
}

/** Rounds every value to what `dtype` can hold (a write-and-read-back, in place). */
export function roundInPlace(dtype: FloatDType, values: Float32Array): void {
  if (dtype === 'F32') return;
  if (dtype === 'BF16') {
    if (values.length >= SIMD_MIN && simdRoundBf16(values)) return;
    const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) bits[i] = bf16BitsOfInt(bits[i] as number) << 16;
    return;
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const table = f16ToF32Table();
  for (let i = 0; i < bits.length; i++) bits[i] = table[f32BitsToF16Bits(bits[i] as number)] as number;
}

/** {@link f32BitsToBf16Bits} for the bits read as a signed 32-bit integer (the same bit arithmetic, mod 2^32). */
function bf16BitsOfInt(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x0040) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

function u16View(bytes: Uint8Array, count: number): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  return new Uint16Array(bytes.slice().buffer, 0, count);
}
