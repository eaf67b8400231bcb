import { afterEach, describe, expect, it } from 'vitest';

import { q8BothWays, trickyQ8Values } from '../io/gguf/q8-simd.test-support';
import { decodeToF32, encodeFromF32 } from '../io/safetensors/codec';
import { codecSimdAvailable } from '../io/safetensors/codec-simd';
import { setWasmEnabled } from '../shared/wasm';
import { runMerger } from './kernel';
import { slerpKernel } from './slerp';
import { simdKernels } from './simd';

afterEach(() => setWasmEnabled(true));

describe('WebAssembly SIMD in Chromium', () => {
  it('loads the codec and kernel modules in the browser', () => {
    expect(codecSimdAvailable()).toBe(true);
    expect(simdKernels()).toBeDefined();
  });

  it('gives the bits of the TypeScript loops for a bf16 round trip and a slerp', () => {
    const n = 5000;
    const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11) * (1 + (i % 5)));
    const job = { tensor: 'model.layers.0.mlp.up_proj.weight', shape: [n], numel: n, baseIndex: 0, globals: { t: 0.4 }, perModel: [{}, {}], seed: 0 };
    const run = () => {
      const bytes = new Uint8Array(n * 2);
      encodeFromF32('BF16', a, bytes);
      const back = new Float32Array(n);
      decodeToF32('BF16', bytes, back);
      const merged = runMerger(slerpKernel(job, 2), [back, b], n, 1000);
      return [Array.from(bytes), Array.from(new Uint32Array(merged.buffer))];
    };
    setWasmEnabled(false);
    const plain = run();
    setWasmEnabled(true);
    expect(run()).toEqual(plain);
  });

  it('slerp from bf16 bytes to bf16 bytes gives the bytes of decoding, merging and encoding', () => {
    const n = 5000;
    const bf16 = (f: (i: number) => number) => {
      const bytes = new Uint8Array(n * 2);
      encodeFromF32('BF16', Float32Array.from({ length: n }, (_, i) => f(i)), bytes);
      return bytes;
    };
    const a = bf16((i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const b = bf16((i) => Math.cos(i * 0.11) * (1 + (i % 5)));
    const job = { tensor: 'model.layers.0.mlp.up_proj.weight', shape: [n], numel: n, baseIndex: 0, globals: { t: 0.4 }, perModel: [{}, {}], seed: 0 };
    setWasmEnabled(false);
    const decoded = [a, b].map((bytes) => {
      const values = new Float32Array(n);
      decodeToF32('BF16', bytes, values);
      return values;
    });
    const reference = new Uint8Array(n * 2);
    encodeFromF32('BF16', runMerger(slerpKernel(job, 2), decoded, n, 1000), reference);
    setWasmEnabled(true);
    const merger = slerpKernel(job, 2);
    expect(merger.reduceBf16?.(0, [a, b], 0)).toBe(true);
    merger.endPass(0);
    const out = new Uint8Array(n * 2);
    expect(merger.applyBf16Encoded?.([a, b], 0, out)).toBe(true);
    expect(Array.from(out)).toEqual(Array.from(reference));
  });

  it('encodes f16 to the bytes of the TypeScript loop', () => {
    const values = Float32Array.from({ length: 5003 }, (_, i) => Math.sin(i * 0.37) * 2 ** ((i % 61) - 30));
    const encode = () => {
      const out = new Uint8Array(values.length * 2);
      encodeFromF32('F16', values, out);
      return Array.from(out);
    };
    setWasmEnabled(false);
    const plain = encode();
    setWasmEnabled(true);
    expect(encode()).toEqual(plain);
  });

  it('quantizes Q8_0 to the bytes of the TypeScript loop', () => {
    const [plain, simd] = q8BothWays(trickyQ8Values());
    expect(Array.from(simd)).toEqual(Array.from(plain));
  });
});
