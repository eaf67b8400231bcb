import { afterEach, describe, expect, it } from 'vitest';

import { encodeFromF32 } from '../io/safetensors/codec';
import type { MergeJob } from '../methods/kernel';
import { setWasmEnabled } from '../shared/wasm';
import type { EncodedChunk } from './backend';
import { createCpuBackend } from './cpu-backend';

afterEach(() => setWasmEnabled(true));

/** bf16 bytes of deterministic values, starting at an odd byte offset when `shift` is 1 (safetensors promises no alignment). */
function bf16Bytes(count: number, seed: number, shift: number): Uint8Array {
  const values = new Float32Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = i % 53 === 0 ? 0 : (state / 2 ** 32 - 0.5) * 2 ** ((state >>> 29) - 6);
  }
  const bytes = new Uint8Array(count * 2 + shift).subarray(shift);
  encodeFromF32('BF16', values, bytes);
  return bytes;
}

/**
 * Merges two bf16 inputs through the CPU backend in chunks of `chunk` elements; the output bits: f32 rounded to bf16
 * (`apply`), or bf16 encoded by the backend (`applyEncoded`) into a buffer at an odd byte offset or over the first
 * input's bytes, as the engine's in-place output does.
 */
async function merge(method: string, globals: MergeJob['globals'], inputs: Uint8Array[], count: number, chunk: number, encoded?: 'fresh' | 'in place'): Promise<number[]> {
  const backend = createCpuBackend();
  const job: MergeJob = { tensor: 'model.layers.1.self_attn.q_proj.weight', shape: [count], numel: count, baseIndex: 0, globals, perModel: [{ weight: 0.7 }, { weight: 0.45 }], seed: 0 };
  const merger = await backend.createMerger(method, job, 2);
  const chunks = (start: number, n: number): EncodedChunk[] => inputs.map((bytes) => ({ dtype: 'BF16', bytes: bytes.subarray(start * 2, (start + n) * 2) }));
  for (let pass = 0; pass < merger.passes; pass++) {
    for (let start = 0; start < count; start += chunk) await merger.reduce(pass, chunks(start, Math.min(chunk, count - start)), start, Math.min(chunk, count - start));
    await merger.endPass(pass);
  }
  if (encoded !== undefined) {
    const target = encoded === 'in place' ? (inputs[0] as Uint8Array) : new Uint8Array(count * 2 + 1).subarray(1);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      await (merger.applyEncoded as NonNullable<typeof merger.applyEncoded>)(chunks(start, n), start, n, 'BF16', target.subarray(start * 2, (start + n) * 2));
    }
    merger.release();
    return Array.from({ length: count }, (_, i) => (target[2 * i] as number) | ((target[2 * i + 1] as number) << 8));
  }
  const out: number[] = [];
  for (let start = 0; start < count; start += chunk) {
    const values = await merger.apply(chunks(start, Math.min(chunk, count - start)), start, Math.min(chunk, count - start), 'BF16');
    out.push(...new Uint32Array(values.buffer, values.byteOffset, values.length));
  }
  merger.release();
  return out;
}

describe('the CPU backend on bf16 inputs', () => {
  // Counts and chunkings that hit the kernels' bf16 fast paths, their fallbacks (chunks not starting on a multiple
  // of 4 elements, counts that are not multiples of 4) and the 16 Ki-element blocks.
  const cases: [number, number][] = [[64, 64], [1001, 1001], [1001, 250], [40_000, 40_000], [40_000, 10_002], [16 * 1024 + 3, 777]];

  for (const [method, globals] of [['slerp', { t: 0.35 }], ['nearswap', { t: 0.001 }], ['linear', { normalize: true }]] as const) {
    it(`${method}: reading bf16 bytes directly gives the bits of decoding first, at every chunking`, async () => {
      for (const [count, chunk] of cases) {
        for (const shift of [0, 1]) {
          const inputs = [bf16Bytes(count, 11, shift), bf16Bytes(count, 12, shift)];
          setWasmEnabled(false);
          const decoded = await merge(method, globals, inputs, count, chunk);
          setWasmEnabled(true);
          const direct = await merge(method, globals, inputs, count, chunk);
          expect(direct, `${count} elements in chunks of ${chunk}, byte shift ${shift}`).toEqual(decoded);
        }
      }
    });
  }

  for (const [method, globals] of [['slerp', { t: 0.35 }], ['nearswap', { t: 0.001 }]] as const) {
    it(`${method}: encoding the output inside the backend gives the bytes of rounding its f32 values to bf16`, async () => {
      for (const [count, chunk] of cases) {
        const inputs = () => [bf16Bytes(count, 11, 1), bf16Bytes(count, 12, 0)];
        setWasmEnabled(false);
        const reference = (await merge(method, globals, inputs(), count, chunk)).map((bits) => bits >>> 16);
        setWasmEnabled(true);
        for (const mode of ['fresh', 'in place'] as const) {
          expect(await merge(method, globals, inputs(), count, chunk, mode), `${count} elements in chunks of ${chunk}, ${mode}`).toEqual(reference);
        }
      }
    });
  }
});
