import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeToF32, roundInPlace } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import { randomBits, streamOf } from '../methods/random';
import { createNodeGpu } from './node-gpu';
import { nodeShaderLibrary } from './node-shaders';
import { castOp, randomBitsOp } from './ops';
import { GpuRuntime, resultOf } from './runtime';

let rt: GpuRuntime;
beforeAll(async () => {
  rt = await GpuRuntime.open(createNodeGpu(), nodeShaderLibrary());
});
afterAll(() => rt.destroy());

const bits = (values: Float32Array) => new Uint32Array(values.buffer, values.byteOffset, values.length);

/** Every 16-bit pattern, as little-endian bytes. */
function allHalves(): Uint8Array {
  return new Uint8Array(Uint16Array.from({ length: 65536 }, (_, i) => i).buffer);
}

/** f32 bit patterns that exercise rounding: every half pattern shifted into the high bits plus low-bit noise. */
function trickyF32(): Float32Array {
  const out = new Uint32Array(65536 * 3);
  for (let h = 0; h < 65536; h++) {
    out[h * 3] = (h << 16) >>> 0;
    out[h * 3 + 1] = ((h << 16) | 0x8000) >>> 0; // exact bf16 tie
    out[h * 3 + 2] = ((h << 16) | ((h * 2654435761) & 0xffff)) >>> 0;
  }
  // The f16 boundaries: around 65504/65520, 2^-14, 2^-24 and 2^-25, with ties.
  const edges = [0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x38800000, 0x387fffff, 0x33800000, 0x33000000, 0x33000001, 0x337fffff, 0x387fe000, 0x387ff000];
  edges.forEach((e, i) => (out[i * 3 + 2] = e));
  return new Float32Array(out.buffer);
}

describe('cast (decode + round on the GPU) is bit-exact against the codec', () => {
  for (const from of ['BF16', 'F16'] as FloatDType[]) {
    for (const to of ['F32', 'BF16', 'F16'] as FloatDType[]) {
      it(`all 65,536 ${from} patterns -> ${to}`, async () => {
        const bytes = allHalves();
        const expected = new Float32Array(65536);
        decodeToF32(from, bytes, expected);
        roundInPlace(to, expected);
        const got = await resultOf(castOp(rt, { dtype: from, bytes }, 65536, to));
        expect(Buffer.from(bits(got).buffer).equals(Buffer.from(bits(expected).buffer))).toBe(true);
      });
    }
  }
  for (const to of ['F32', 'BF16', 'F16'] as FloatDType[]) {
    it(`f32 patterns around every rounding boundary -> ${to}`, async () => {
      const values = trickyF32();
      const expected = values.slice();
      roundInPlace(to, expected);
      const got = await resultOf(castOp(rt, { dtype: 'F32', bytes: new Uint8Array(values.buffer) }, values.length, to));
      const mismatches = bits(got).reduce((n, b, i) => n + (b === bits(expected)[i] ? 0 : 1), 0);
      expect(mismatches).toBe(0);
    });
  }
  it('odd element counts of 16-bit inputs (padded upload)', async () => {
    const bytes = allHalves().subarray(2, 2 + 2 * 777);
    const expected = new Float32Array(777);
    decodeToF32('BF16', bytes, expected);
    const got = await resultOf(castOp(rt, { dtype: 'BF16', bytes }, 777, 'F32'));
    expect(Array.from(bits(got))).toEqual(Array.from(bits(expected)));
  });
});

describe('the WGSL counter hash equals methods/random.ts', () => {
  it.each([
    [42, 'model.layers.0.mlp.up_proj.weight', 0, 0],
    [0xdeadbeef, 'lm_head.weight', 3, 4294967296 - 1000],
  ])('seed %d, tensor %s, model %d, from index %d', async (seed, tensor, model, start) => {
    const stream = streamOf(tensor, model);
    const got = await resultOf(randomBitsOp(rt, seed, stream, start, 5000));
    const expected = Uint32Array.from({ length: 5000 }, (_, i) => randomBits(seed, stream, start + i));
    expect(Array.from(got)).toEqual(Array.from(expected));
  });
});
