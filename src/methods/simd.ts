/**
 * WebAssembly SIMD twins of the hottest CPU kernel loops (simd.wat, compiled into simd-wasm.ts): slerp's statistics
 * and blend, NearSwap. They compute the same bits as the TypeScript loops (same f64 arithmetic and order), several
 * times faster. Inputs pass through the module's memory in blocks; `undefined` where WebAssembly SIMD is unavailable.
 */
import { lazyWasm } from '../shared/wasm';
import { WASM_BASE64 } from './simd-wasm';

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  slerp_stats(x: number, y: number, count: number, lanes: number): void;
  blend2(x: number, y: number, count: number, s0: number, s1: number, out: number): void;
  nearswap(b: number, x: number, count: number, t: number, out: number): void;
}

/** Elements per call; the 256 KiB memory holds the 12 lane sums and three blocks of f32. */
const BLOCK = 16 * 1024;
const LANES = 0;
const A = 256;
const B = A + BLOCK * 4;
const OUT = B + BLOCK * 4;

export interface SimdKernels {
  /** Adds x·x, y·y, x·y of `x`, `y` (whose first element has lane 0: index ≡ 0 mod 4, length a multiple of 4) to the 12 lane sums. */
  slerpStats(x: Float32Array, y: Float32Array, lanes: Float64Array): void;
  /** out = f32(s0·x + s1·y) in f64. */
  blend2(x: Float32Array, y: Float32Array, s0: number, s1: number, out: Float32Array): void;
  /** NearSwap of base `b` and other `x` at threshold t. */
  nearswap(b: Float32Array, x: Float32Array, t: number, out: Float32Array): void;
}

export const simdKernels = lazyWasm(WASM_BASE64, (raw): SimdKernels => {
  const wasm = raw as unknown as KernelExports;
  const f32 = new Float32Array(wasm.memory.buffer);
  const f64 = new Float64Array(wasm.memory.buffer, LANES, 12);
  const blocks = (n: number, step: (at: number, count: number) => void) => {
    for (let at = 0; at < n; at += BLOCK) step(at, Math.min(BLOCK, n - at));
  };
  return {
    slerpStats: (x, y, lanes) => {
      f64.set(lanes);
      blocks(x.length, (at, n) => {
        f32.set(x.subarray(at, at + n), A / 4);
        f32.set(y.subarray(at, at + n), B / 4);
        wasm.slerp_stats(A, B, n, LANES);
      });
      lanes.set(f64);
    },
    blend2: (x, y, s0, s1, out) =>
      blocks(out.length, (at, n) => {
        f32.set(x.subarray(at, at + n), A / 4);
        f32.set(y.subarray(at, at + n), B / 4);
        wasm.blend2(A, B, n, s0, s1, OUT);
        out.set(f32.subarray(OUT / 4, OUT / 4 + n), at);
      }),
    nearswap: (b, x, t, out) =>
      blocks(out.length, (at, n) => {
        f32.set(b.subarray(at, at + n), A / 4);
        f32.set(x.subarray(at, at + n), B / 4);
        wasm.nearswap(A, B, n, t, OUT);
        out.set(f32.subarray(OUT / 4, OUT / 4 + n), at);
      }),
  };
});
