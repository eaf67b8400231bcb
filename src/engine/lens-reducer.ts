/**
 * What reduces the weight lens's chunks: element pairs of two tensors, in their stored encoding, added into the float64
 * {@link LensSums}. The CPU decodes and sums in f64 (`accumulate`); the WebGPU backend (lens-webgpu.ts) sums f32
 * partials per block of 256 elements on the GPU and adds them in f64 on the host.
 */
import { decodeToF32 } from '../io/safetensors/codec';
import { accumulate } from '../methods/lens-stats';
import type { LensSums } from '../methods/lens-stats';
import type { EncodedChunk } from './backend';

export interface LensReducer {
  /** What computes the sums ("CPU", "WebGPU: <adapter>"), as the report names it. */
  readonly label: string;
  /** Adds `count` element pairs of `a` and `b` to `sums`; with `t`, NearSwap's share too. */
  add(sums: LensSums, a: EncodedChunk, b: EncodedChunk, count: number, t: number | undefined): Promise<void>;
}

/** `count` elements of an encoded chunk, decoded to f32. */
export function decodeChunk(chunk: EncodedChunk, count: number): Float32Array {
  const out = new Float32Array(count);
  decodeToF32(chunk.dtype, chunk.bytes, out);
  return out;
}

export const cpuLensReducer: LensReducer = {
  label: 'CPU',
  add(sums, a, b, count, t) {
    accumulate(sums, decodeChunk(a, count), decodeChunk(b, count), t);
    return Promise.resolve();
  },
};
