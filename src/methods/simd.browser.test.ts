import { afterEach, describe, expect, it } from 'vitest';

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
});
