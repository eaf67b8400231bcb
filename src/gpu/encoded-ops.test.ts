/**
 * The two-input kernels on encoded inputs (kernels/encoded.ts): mixed input dtypes, odd element counts and every output
 * dtype, against the same f32 arithmetic done on the host (Math.fround after each operation) and rounded by the codec
 * (nearswap within WGSL's precision for division).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeToF32, encodeFromF32, floatBytes, roundInPlace } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import { createNodeGpu } from './node-gpu';
import { nodeShaderLibrary } from './node-shaders';
import { nearswapOp, slerpStatsOp, weightedSumOp } from './ops';
import { BLOCK, GpuRuntime, resultOf } from './runtime';

let rt: GpuRuntime;
beforeAll(async () => {
  rt = await GpuRuntime.open(createNodeGpu(), nodeShaderLibrary());
});
afterAll(() => rt.destroy());

const f = Math.fround;
const COUNT = 3 * BLOCK + 77; // odd, and a partial last block

/** `count` values of `dtype` (encoded, and as f32), spread over several binades with signed zeros. */
function input(dtype: FloatDType, seed: number): { dtype: FloatDType; bytes: Uint8Array; values: Float32Array } {
  const raw = Float32Array.from({ length: COUNT }, (_, i) => (i % 97 === 0 ? -0 : Math.sin(i * seed) * 2 ** ((i % 9) - 4)));
  const bytes = new Uint8Array(floatBytes(dtype, COUNT));
  encodeFromF32(dtype, raw, bytes);
  const values = new Float32Array(COUNT);
  decodeToF32(dtype, bytes, values);
  return { dtype, bytes, values };
}

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
const cases: [FloatDType, FloatDType, FloatDType][] = [
  ['BF16', 'BF16', 'BF16'],
  ['BF16', 'F16', 'F16'],
  ['F32', 'BF16', 'F32'],
  ['F16', 'F32', 'BF16'],
];

describe.each(cases)('%s and %s inputs, %s output', (da, db, out) => {
  const a = input(da, 1.3);
  const b = input(db, 1.7);

  it('nearswap', async () => {
    const t = 0.01;
    // WGSL's f32 division may be off by 2.5 ulp: each element within a few f32 ulp of its terms' magnitude (the
    // blend cancels), or one ulp of a half output.
    const bound = new Float32Array(COUNT);
    const expected = a.values.map((base, i) => {
      const x = b.values[i] as number;
      const w = Math.min(1, Math.max(0, f(t / Math.max(Math.abs(f(base - x)), f(1e-6)))));
      bound[i] = 4 * 2 ** -23 * (Math.abs(w * x) + Math.abs((1 - w) * base));
      return f(f(w * x) + f(f(1 - w) * base));
    });
    roundInPlace(out, expected);
    const got = await resultOf(nearswapOp(rt, [a, b], COUNT, 0, 1, t, out));
    const halfUlp = { F32: 0, BF16: 2 ** -7, F16: 2 ** -10 }[out];
    const off = expected.filter((e, i) => Math.abs((got[i] as number) - e) > Math.max(bound[i] as number, halfUlp * Math.abs(e)));
    expect(off.length).toBe(0);
  });

  it('weighted sum of two', async () => {
    const [w0, w1, divisor] = [f(0.3), f(0.9), f(1.2)];
    const expected = a.values.map((x, i) => f(f(f(w0 * x) + f(w1 * (b.values[i] as number))) / divisor));
    roundInPlace(out, expected);
    const got = await resultOf(weightedSumOp(rt, [a, b], COUNT, [w0, w1], divisor, out));
    expect(bits(got)).toEqual(bits(expected));
  });

  it('slerp statistics per block', async () => {
    const got = await resultOf(slerpStatsOp(rt, [b, a], COUNT, 1, 0));
    const expected: number[] = [];
    for (let first = 0; first < COUNT; first += BLOCK) {
      let [aa, bb, ab] = [0, 0, 0];
      for (let i = first; i < Math.min(first + BLOCK, COUNT); i++) {
        const [x, y] = [a.values[i] as number, b.values[i] as number];
        [aa, bb, ab] = [f(aa + f(x * x)), f(bb + f(y * y)), f(ab + f(x * y))];
      }
      expected.push(aa, bb, ab);
    }
    expect(Array.from(got)).toEqual(expected);
  });
});
