/**
 * What reduces the weight lens's chunks: element pairs of two tensors, in their stored encoding, added into the float64
 * {@link LensSums}. The CPU decodes and sums in f64 (`accumulate`), on this thread or on the worker pool's workers
 * ({@link poolLensReducer}, several chunks at once); the WebGPU backend (lens-webgpu.ts) sums f32 partials per block of
 * 256 elements on the GPU and adds them in f64 on the host.
 */
import { decodeToF32 } from '../io/safetensors/codec';
import { accumulate, addSums } from '../methods/lens-stats';
import type { LensSums } from '../methods/lens-stats';
import type { EncodedChunk } from './backend';
import type { PoolExecutor } from './worker-pool-executor';

export interface LensReducer {
  /** What computes the sums ("CPU", "CPU, 2 worker threads", "WebGPU: <adapter>"), as the report names it. */
  readonly label: string;
  /** Chunk pairs it reduces at once (default 1): exact mode keeps one more than this in flight. */
  readonly concurrency?: number | undefined;
  /**
   * Adds `count` element pairs of `a` and `b` to `sums`; with `t`, NearSwap's share too. The chunks' buffers are the
   * caller's own, whole, and not used after: a reducer may transfer them, and hands them to `recycle` when they come
   * back (the caller reads the next chunks into them).
   */
  add(sums: LensSums, a: EncodedChunk, b: EncodedChunk, count: number, t: number | undefined, recycle?: (buffers: readonly ArrayBuffer[]) => void): Promise<void>;
}

/** `count` elements of an encoded chunk, decoded to f32. */
export function decodeChunk(chunk: EncodedChunk, count: number): Float32Array {
  const out = new Float32Array(count);
  decodeToF32(chunk.dtype, chunk.bytes, out);
  return out;
}

/**
 * The CPU on this thread. Chunks decode into two scratch arrays kept between calls (grown to the largest chunk):
 * fresh 8 MiB arrays per 2 Mi-element chunk cost as much in page faults as the decode and the sums together (measured).
 * `add` never yields between decoding and summing, so callers may overlap their calls.
 */
export const cpuLensReducer: LensReducer = (() => {
  let scratch: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  return {
    label: 'CPU',
    add(sums, a, b, count, t) {
      if (scratch[0].length < count) scratch = [new Float32Array(count), new Float32Array(count)];
      const [x, y] = [scratch[0].subarray(0, count), scratch[1].subarray(0, count)];
      decodeToF32(a.dtype, a.bytes, x);
      decodeToF32(b.dtype, b.bytes, y);
      accumulate(sums, x, y, t);
      return Promise.resolve();
    },
  };
})();

/** The CPU on the worker pool: each chunk pair reduced on a free worker, by the code of {@link cpuLensReducer}. */
export function poolLensReducer(pool: PoolExecutor): LensReducer {
  return {
    label: pool.label,
    concurrency: pool.concurrency,
    async add(sums, a, b, count, t, recycle) {
      const reduced = await pool.reduceLens(a, b, count, t);
      addSums(sums, reduced.sums);
      recycle?.(reduced.buffers);
    },
  };
}
