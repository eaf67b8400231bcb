import { describe, expect, it } from 'vitest';

import { bf16ToF32, decodeToF32, encodeFromF32, f16ToF32, f32ToBf16, f32ToF16, roundInPlace } from './codec';

/** Independent decoding from the IEEE formula: (-1)^s · 2^(e-bias) · (1 + m/2^k), subnormals, Inf, NaN. */
function ieeeValue(bits: number, exponentBits: number, mantissaBits: number): number {
  const bias = 2 ** (exponentBits - 1) - 1;
  const sign = (bits >> (exponentBits + mantissaBits)) & 1 ? -1 : 1;
  const e = (bits >> mantissaBits) & (2 ** exponentBits - 1);
  const m = bits & (2 ** mantissaBits - 1);
  if (e === 2 ** exponentBits - 1) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * m * 2 ** (1 - bias - mantissaBits);
  return sign * (1 + m / 2 ** mantissaBits) * 2 ** (e - bias);
}

/** Correct rounding to a format by brute force over its neighbours (f64 arithmetic; exact at these magnitudes). */
function nearestEven(x: number, decode: (bits: number) => number): number {
  let best = -1;
  let bestError = Infinity;
  for (let bits = 0; bits < 65536; bits++) {
    const v = decode(bits);
    if (Number.isNaN(v) || isNegative(v) !== isNegative(x)) continue;
    const error = Math.abs(v - x);
    if (error < bestError || (error === bestError && (bits & 1) === 0)) {
      best = bits;
      bestError = error;
    }
  }
  return best;
}

function isNegative(v: number): boolean {
  return v < 0 || Object.is(v, -0);
}

const BF16 = (bits: number) => ieeeValue(bits, 8, 7);
const F16 = (bits: number) => ieeeValue(bits, 5, 10);

describe('decoding every 16-bit pattern', () => {
  it('decodes all 65,536 bf16 patterns to the exact f32', () => {
    for (let bits = 0; bits < 65536; bits++) {
      const expected = BF16(bits);
      const got = bf16ToF32(bits);
      if (Number.isNaN(expected)) expect(got).toBeNaN();
      else expect(Object.is(got, expected)).toBe(true);
    }
  });

  it('decodes all 65,536 f16 patterns to the exact f32', () => {
    for (let bits = 0; bits < 65536; bits++) {
      const expected = F16(bits);
      const got = f16ToF32(bits);
      if (Number.isNaN(expected)) expect(got).toBeNaN();
      else expect(Object.is(got, expected)).toBe(true);
    }
  });

  it('round-trips every non-NaN pattern through f32 unchanged (bulk codecs agree with the scalar ones)', () => {
    for (const dtype of ['BF16', 'F16'] as const) {
      const all = new Uint16Array(65536).map((_, i) => i);
      const bytes = new Uint8Array(all.buffer);
      const values = new Float32Array(65536);
      decodeToF32(dtype, bytes, values);
      const back = new Uint8Array(bytes.byteLength);
      encodeFromF32(dtype, values, back);
      const backBits = new Uint16Array(back.buffer);
      const scalar = dtype === 'BF16' ? bf16ToF32 : f16ToF32;
      for (let bits = 0; bits < 65536; bits++) {
        const v = values[bits] as number;
        if (Number.isNaN(scalar(bits))) {
          expect(v).toBeNaN();
          expect(Number.isNaN(scalar(backBits[bits] as number))).toBe(true);
        } else {
          expect(Object.is(v, scalar(bits))).toBe(true);
          expect(backBits[bits]).toBe(bits);
        }
      }
    }
  });
});

describe('rounding f32 to bf16 and f16 (round to nearest, ties to even)', () => {
  const f32 = (x: number) => Math.fround(x);
  const fromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0] as number;

  it('breaks exact ties to the even neighbour and rounds near-ties the right way', () => {
    // 1 + 2^-8 is halfway between bf16 1.0 (0x3f80, even) and 1.0078125 (0x3f81): ties go to 0x3f80.
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    // 1 + 3·2^-8 is halfway between 0x3f81 (odd) and 0x3f82 (even): ties go up.
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16(fromBits(0x3f808001))).toBe(0x3f81); // just above the tie
    expect(f32ToBf16(fromBits(0x3f807fff))).toBe(0x3f80); // just below
    // f16: 1 + 2^-11 is halfway between 1.0 (0x3c00) and 1 + 2^-10 (0x3c01).
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00);
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16(f32(1 + 2 ** -11 + 2 ** -20))).toBe(0x3c01);
  });

  it('overflows to infinity exactly where round-to-nearest-even says', () => {
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(f32(65519.996))).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(-65520)).toBe(0xfc00);
    expect(f32ToF16(1e10)).toBe(0x7c00);
    expect(f32ToBf16(fromBits(0x7f7fffff))).toBe(0x7f80); // f32 max rounds up to bf16 Inf
    expect(f32ToBf16(fromBits(0x7f7f7fff))).toBe(0x7f7f); // largest value that stays finite
    expect(f32ToBf16(Infinity)).toBe(0x7f80);
    expect(f32ToBf16(-Infinity)).toBe(0xff80);
    expect(f32ToF16(-Infinity)).toBe(0xfc00);
  });

  it('produces f16 subnormals and underflows to signed zero', () => {
    expect(f32ToF16(2 ** -24)).toBe(0x0001);
    expect(f32ToF16(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: to even (0)
    expect(f32ToF16(f32(2 ** -25 + 2 ** -40))).toBe(0x0001);
    expect(f32ToF16(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 (·2^-24): to even (2)
    expect(f32ToF16(-(2 ** -30))).toBe(0x8000);
    expect(f32ToF16(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
    expect(f32ToF16(-0)).toBe(0x8000);
    expect(f32ToBf16(-0)).toBe(0x8000);
  });

  it('keeps f32 subnormals as bf16 subnormals', () => {
    expect(f32ToBf16(fromBits(0x00010000))).toBe(0x0001);
    expect(f32ToBf16(fromBits(0x00018000))).toBe(0x0002); // tie, to even
    expect(f32ToBf16(fromBits(0x00008000))).toBe(0x0000); // tie between 0 and 1: to even
    expect(f32ToBf16(fromBits(0x80000001))).toBe(0x8000);
  });

  it('keeps NaN a NaN, even when its payload sits only in the low 16 bits', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xff800001, 0x7f80ffff, 0xffffffff]) {
      const x = fromBits(bits);
      expect(Number.isNaN(bf16ToF32(f32ToBf16(x)))).toBe(true);
      expect(Number.isNaN(f16ToF32(f32ToF16(x)))).toBe(true);
    }
    const values = new Float32Array(new Uint32Array([0x7f800001, 0xff800001]).buffer);
    const out = new Uint8Array(4);
    encodeFromF32('BF16', values, out);
    const halves = new Uint16Array(out.buffer);
    expect(Number.isNaN(bf16ToF32(halves[0] as number))).toBe(true);
    expect(halves[1]! & 0x8000).toBe(0x8000); // the sign survives
  });

  it('agrees with brute-force nearest-even on a sweep of random f32 values', () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      // Random f32 bit patterns below the f16 overflow (exponents 100..141: |x| < 2^15); overflow is tested above.
      const bits = ((next() & 0x807fffff) | ((100 + (next() % 42)) << 23)) >>> 0;
      const x = fromBits(bits);
      expect(f32ToF16(x)).toBe(nearestEven(x, F16));
      expect(f32ToBf16(x)).toBe(nearestEven(x, BF16));
    }
  });
});

describe('bulk codecs', () => {
  it('decode and encode unaligned views', () => {
    const values = new Float32Array([1.5, -2.25, 3.0078125, 65504]);
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const size = dtype === 'F32' ? 16 : 8;
      const backing = new Uint8Array(size + 1);
      const unaligned = backing.subarray(1);
      encodeFromF32(dtype, values, unaligned);
      const decoded = new Float32Array(4);
      decodeToF32(dtype, unaligned, decoded);
      const expected = Float32Array.from(values);
      roundInPlace(dtype, expected);
      expect([...decoded]).toEqual([...expected]);
    }
  });

  it('roundInPlace equals encode then decode', () => {
    const values = Float32Array.from({ length: 257 }, (_, i) => Math.sin(i) * 10 ** ((i % 12) - 6));
    for (const dtype of ['F16', 'BF16'] as const) {
      const bytes = new Uint8Array(values.length * 2);
      encodeFromF32(dtype, values, bytes);
      const viaBytes = new Float32Array(values.length);
      decodeToF32(dtype, bytes, viaBytes);
      const inPlace = Float32Array.from(values);
      roundInPlace(dtype, inPlace);
      expect([...inPlace]).toEqual([...viaBytes]);
    }
  });
});
