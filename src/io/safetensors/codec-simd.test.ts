import { afterEach, describe, expect, it } from 'vitest';

import { setWasmEnabled } from '../../shared/wasm';
import { decodeToF32, encodeFromF32, roundInPlace } from './codec';
import { codecSimdAvailable } from './codec-simd';

/** Runs `f` with the TypeScript loops and with WebAssembly SIMD; returns both results. */
function bothWays<T>(f: () => T): [T, T] {
  setWasmEnabled(false);
  const plain = f();
  setWasmEnabled(true);
  return [plain, f()];
}

afterEach(() => setWasmEnabled(true));

/** f32 bit patterns that exercise rounding: ties (odd and even), carries into the exponent, NaNs, Inf, subnormals. */
function trickyBits(count: number): Uint32Array {
  const special = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7f800001, 0xffc00001, 0x7fffffff, 0x3f808000, 0x3f818000, 0x3f80ffff,
    0x7f7fffff, 0x7f7f8000, 0x00000001, 0x00008000, 0x00018000, 0x807fffff, 0x3fffffff, 0x4b7f8000];
  const bits = new Uint32Array(count);
  let state = 12345;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bits[i] = special[i % 37] ?? (Math.imul(state, 2654435761) ^ (state >>> 7)) >>> 0;
  }
  return bits;
}

describe('bf16 codecs in WebAssembly SIMD', () => {
  it('runs here (so the comparisons below are not vacuous)', () => {
    expect(codecSimdAvailable()).toBe(true);
  });

  it('decodes every bf16 pattern as the TypeScript loop does, from aligned and unaligned bytes', () => {
    const halves = new Uint16Array(65536).map((_, i) => i);
    for (const shift of [0, 1]) {
      const bytes = new Uint8Array(65536 * 2 + shift).subarray(shift);
      bytes.set(new Uint8Array(halves.buffer));
      const [plain, simd] = bothWays(() => {
        const out = new Float32Array(65536);
        decodeToF32('BF16', bytes, out);
        return new Uint32Array(out.buffer);
      });
      expect(simd).toEqual(plain);
    }
  });

  it('encodes and rounds like the TypeScript loops at every length around the vector width and across blocks', () => {
    for (const count of [...Array.from({ length: 80 }, (_, i) => i), 16 * 1024 - 1, 16 * 1024 + 5, 100_003]) {
      const values = new Float32Array(trickyBits(count).buffer);
      const [plainBytes, simdBytes] = bothWays(() => {
        const out = new Uint8Array(count * 2 + 1).subarray(1);
        encodeFromF32('BF16', values, out);
        return Array.from(out);
      });
      expect(simdBytes, `encode of ${count}`).toEqual(plainBytes);
      const [plainRounded, simdRounded] = bothWays(() => {
        const copy = values.slice();
        roundInPlace('BF16', copy);
        return Array.from(new Uint32Array(copy.buffer));
      });
      expect(simdRounded, `round of ${count}`).toEqual(plainRounded);
    }
  });

  it('encodes f16 like the TypeScript loop: subnormals, ties, overflow to infinity, NaN payloads, every f16 value', () => {
    // Every f16 value, each halfway to its neighbour (ties both ways) and just either side of it, then tricky bits.
    const pattern: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const bits = new Uint32Array(new Float32Array([decodeF16(h)]).buffer)[0] as number;
      pattern.push(bits, bits + 0x1000, bits + 0xfff, bits + 0x1001);
    }
    for (const count of [7, 8, 9, 16 * 1024 + 5, pattern.length]) {
      const values = new Float32Array(count);
      values.set(new Float32Array(Uint32Array.from(pattern.slice(0, count)).buffer));
      if (count < pattern.length) values.set(new Float32Array(trickyBits(count).buffer));
      const [plain, simd] = bothWays(() => {
        const out = new Uint8Array(count * 2 + 1).subarray(1);
        encodeFromF32('F16', values, out);
        return Buffer.from(out);
      });
      expect(simd.equals(plain), `f16 encode of ${count}`).toBe(true);
    }
  });
});

/** An f16 bit pattern's value (the codec's own decoder, one element). */
function decodeF16(h: number): number {
  const out = new Float32Array(1);
  decodeToF32('F16', new Uint8Array(new Uint16Array([h]).buffer), out);
  return out[0] as number;
}
