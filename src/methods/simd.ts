/**
 * WebAssembly SIMD twins of the hottest CPU kernel loops (simd.wat, compiled into simd-wasm.ts): slerp's statistics
 * and blend, NearSwap and weighted sums (linear), on f32 values or straight from bf16 bytes. They compute the same bits as the TypeScript loops (same f64 arithmetic and order), several
 * times faster. Inputs pass through the module's memory in blocks; `undefined` where WebAssembly SIMD is unavailable.
 */
import { lazyWasm } from '../shared/wasm';
import { WASM_BASE64 } from './simd-wasm';

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  slerp_stats(x: number, y: number, count: number, lanes: number): void;
  blend2(x: number, y: number, count: number, s0: number, s1: number, out: number): void;
  nearswap(b: number, x: number, count: number, t: number, out: number): void;
  slerp_stats_bf16(x: number, y: number, count: number, lanes: number): void;
  blend2_bf16(x: number, y: number, count: number, s0: number, s1: number, out: number, encode: number): void;
  nearswap_bf16(b: number, x: number, count: number, t: number, out: number): void;
  weighted_add(x: number, count: number, w: number, acc: number): void;
  weighted_add_bf16(x: number, count: number, w: number, acc: number): void;
  divide_to_f32(acc: number, count: number, d: number, out: number): void;
}

/**
 * Elements per call; the 512 KiB memory holds the 12 lane sums, three blocks of f32 (inputs may be bf16) and one of
 * f64 sums.
 */
const BLOCK = 16 * 1024;
const LANES = 0;
const A = 256;
const B = A + BLOCK * 4;
const OUT = B + BLOCK * 4;
const ACC = OUT + BLOCK * 4;

export interface SimdKernels {
  /** Adds x·x, y·y, x·y of `x`, `y` (whose first element has lane 0: index ≡ 0 mod 4, length a multiple of 4) to the 12 lane sums. */
  slerpStats(x: Float32Array, y: Float32Array, lanes: Float64Array): void;
  /** out = f32(s0·x + s1·y) in f64. */
  blend2(x: Float32Array, y: Float32Array, s0: number, s1: number, out: Float32Array): void;
  /** NearSwap of base `b` and other `x` at threshold t. */
  nearswap(b: Float32Array, x: Float32Array, t: number, out: Float32Array): void;
  /** {@link slerpStats} on bf16 bytes (2 per element, any alignment; the element count a multiple of 4). */
  slerpStatsBf16(x: Uint8Array, y: Uint8Array, lanes: Float64Array): void;
  /** {@link blend2} on bf16 bytes. */
  blend2Bf16(x: Uint8Array, y: Uint8Array, s0: number, s1: number, out: Float32Array): void;
  /** {@link blend2Bf16} with its f32 results encoded as bf16 bytes into `out` (round to nearest even, as `encodeFromF32`). */
  blend2Bf16Encoded(x: Uint8Array, y: Uint8Array, s0: number, s1: number, out: Uint8Array): void;
  /** {@link nearswap} on bf16 bytes. */
  nearswapBf16(b: Uint8Array, x: Uint8Array, t: number, out: Float32Array): void;
  /** out = f32((0 + w₀·x₀ + w₁·x₁ + …) / d), summed in f64 in input order; inputs f32 values or bf16 bytes. */
  weightedSum(inputs: readonly (Float32Array | Uint8Array)[], weights: readonly number[], d: number, out: Float32Array): void;
}

export const simdKernels = lazyWasm(WASM_BASE64, (raw): SimdKernels => {
  const wasm = raw as unknown as KernelExports;
  const f32 = new Float32Array(wasm.memory.buffer);
  const u8 = new Uint8Array(wasm.memory.buffer);
  const acc = new Float64Array(wasm.memory.buffer, ACC, BLOCK);
  const f64 = new Float64Array(wasm.memory.buffer, LANES, 12);
  const blocks = (n: number, step: (at: number, count: number) => void) => {
    for (let at = 0; at < n; at += BLOCK) step(at, Math.min(BLOCK, n - at));
  };
  /** Elements [at, at + n) of an input (f32 values, or bf16 bytes) copied to byte address `to` in the module. */
  const put = (x: Float32Array | Uint8Array, at: number, n: number, to: number) => {
    if (x instanceof Float32Array) f32.set(x.subarray(at, at + n), to / 4);
    else u8.set(x.subarray(at * 2, (at + n) * 2), to);
  };
  /**
   * `call` on each block of two inputs (at A and B); with `out`, each block's results are copied from OUT (f32 values,
   * or bf16 bytes).
   */
  const twoInputs = (x: Float32Array | Uint8Array, y: Float32Array | Uint8Array, n: number, call: (count: number) => void, out?: Float32Array | Uint8Array) =>
    blocks(n, (at, count) => {
      put(x, at, count, A);
      put(y, at, count, B);
      call(count);
      if (out instanceof Float32Array) out.set(f32.subarray(OUT / 4, OUT / 4 + count), at);
      else out?.set(u8.subarray(OUT, OUT + count * 2), at * 2);
    });
  const withLanes = (lanes: Float64Array, run: () => void) => {
    f64.set(lanes);
    run();
    lanes.set(f64);
  };
  // The bf16 loops work four or eight elements at a time; past a count that is not a multiple of that they compute up
  // to seven values from stale bytes, which are never copied out (the same holds for the weighted sums' lanes).
  return {
    slerpStats: (x, y, lanes) => withLanes(lanes, () => twoInputs(x, y, x.length, (n) => wasm.slerp_stats(A, B, n, LANES))),
    blend2: (x, y, s0, s1, out) => twoInputs(x, y, out.length, (n) => wasm.blend2(A, B, n, s0, s1, OUT), out),
    nearswap: (b, x, t, out) => twoInputs(b, x, out.length, (n) => wasm.nearswap(A, B, n, t, OUT), out),
    slerpStatsBf16: (x, y, lanes) => withLanes(lanes, () => twoInputs(x, y, x.length / 2, (n) => wasm.slerp_stats_bf16(A, B, n, LANES))),
    blend2Bf16: (x, y, s0, s1, out) => twoInputs(x, y, out.length, (n) => wasm.blend2_bf16(A, B, n, s0, s1, OUT, 0), out),
    blend2Bf16Encoded: (x, y, s0, s1, out) => twoInputs(x, y, out.length / 2, (n) => wasm.blend2_bf16(A, B, n, s0, s1, OUT, 1), out),
    nearswapBf16: (b, x, t, out) => twoInputs(b, x, out.length, (n) => wasm.nearswap_bf16(A, B, n, t, OUT), out),
    weightedSum: (inputs, weights, d, out) =>
      blocks(out.length, (at, n) => {
        acc.fill(0);
        inputs.forEach((x, m) => {
          put(x, at, n, A);
          if (x instanceof Float32Array) wasm.weighted_add(A, n, weights[m] as number, ACC);
          else wasm.weighted_add_bf16(A, n, weights[m] as number, ACC);
        });
        wasm.divide_to_f32(ACC, n, d, OUT);
        out.set(f32.subarray(OUT / 4, OUT / 4 + n), at);
      }),
  };
});
