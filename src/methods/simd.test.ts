import { afterEach, describe, expect, it } from 'vitest';

import { setWasmEnabled } from '../shared/wasm';
import type { MergeJob } from './kernel';
import { runMerger } from './kernel';
import { KERNELS } from './kernels';
import { simdKernels } from './simd';

afterEach(() => setWasmEnabled(true));

/** Deterministic f32 values of several magnitudes, with exact ties, zeros of both signs and a few infinities. */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const u = state / 2 ** 32 - 0.5;
    out[i] = i % 97 === 0 ? 0 : i % 101 === 0 ? -0 : i % 89 === 0 ? 0.5 : u * 10 ** ((state >>> 28) - 8);
  }
  return out;
}

function job(method: string, globals: MergeJob['globals'], numel: number, perModel: MergeJob['perModel'] = [{}, {}]): MergeJob {
  return { tensor: `model.layers.0.mlp.${method}.weight`, shape: [numel], numel, baseIndex: 0, globals, perModel, seed: 0 };
}

/** The kernel's output bits with the TypeScript loops and with WebAssembly SIMD, chunked at `chunk`. */
function bothWays(method: string, globals: MergeJob['globals'], inputs: Float32Array[], chunk: number, perModel?: MergeJob['perModel']): [Uint32Array, Uint32Array] {
  const n = inputs[0]?.length ?? 0;
  const kernel = KERNELS[method] as NonNullable<(typeof KERNELS)[string]>;
  const run = () => new Uint32Array(runMerger(kernel(job(method, globals, n, perModel), inputs.length), inputs, n, chunk).buffer);
  setWasmEnabled(false);
  const plain = run();
  setWasmEnabled(true);
  return [plain, run()];
}

describe('CPU kernel loops in WebAssembly SIMD', () => {
  it('runs here (so the comparisons below are not vacuous)', () => {
    expect(simdKernels()).toBeDefined();
  });

  const sizes = [1, 3, 63, 64, 65, 1000, 16 * 1024 + 7, 70_001];
  const chunks = [64, 1001, 16 * 1024, 1 << 20];

  it('slerp gives the same bits at every size and chunking (statistics and blend)', () => {
    for (const n of sizes) {
      for (const chunk of chunks) {
        for (const t of [0.3, 0.999]) {
          const [plain, simd] = bothWays('slerp', { t }, [values(n, 1), values(n, 2)], chunk);
          expect(simd, `n=${n} chunk=${chunk} t=${t}`).toEqual(plain);
        }
      }
    }
  });

  it('slerp of nearly colinear inputs (the lerp fallback) gives the same bits', () => {
    const a = values(5000, 3);
    const b = a.map((v, i) => v * (1 + (i % 3) * 1e-6));
    const [plain, simd] = bothWays('slerp', { t: 0.5 }, [a, b], 999);
    expect(simd).toEqual(plain);
  });

  it('nearswap gives the same bits at every size, chunking and threshold', () => {
    for (const n of sizes) {
      for (const t of [0, 1e-4, 0.5, 100]) {
        const [plain, simd] = bothWays('nearswap', { t }, [values(n, 4), values(n, 5)], 1001);
        expect(simd, `n=${n} t=${t}`).toEqual(plain);
      }
    }
  });

  it('linear gives the same bits for two and three inputs, normalised or not, at every size', () => {
    for (const n of sizes) {
      for (const normalize of [true, false]) {
        const [plain2, simd2] = bothWays('linear', { normalize }, [values(n, 8), values(n, 9)], 1001, [{ weight: 0.3 }, { weight: 0.9 }]);
        expect(simd2, `n=${n} normalize=${normalize}`).toEqual(plain2);
        const [plain3, simd3] = bothWays('linear', { normalize }, [values(n, 8), values(n, 9), values(n, 10)], 777, [{ weight: 1 }, { weight: -0.5 }, { weight: 0.25 }]);
        expect(simd3, `n=${n} normalize=${normalize}, 3 inputs`).toEqual(plain3);
      }
    }
  });

  it('keeps NaN and infinity where the TypeScript loop has them', () => {
    const a = values(256, 6);
    const b = values(256, 7);
    a[10] = NaN;
    b[20] = Infinity;
    a[30] = -Infinity;
    b[30] = -Infinity;
    const [plain, simd] = bothWays('nearswap', { t: 0.01 }, [a, b], 256);
    const f = (bits: Uint32Array) => Array.from(new Float32Array(bits.buffer));
    expect(f(simd)).toEqual(f(plain));
  });
});
