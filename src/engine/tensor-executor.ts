/**
 * Computes whole output tensors from their preloaded input bytes into an encoded output buffer. The run loop keeps
 * `concurrency` tensors in flight (plus one loading), and writes results in plan order.
 *
 * The in-thread executor runs on the calling thread's backend; the Node worker executor (`node-worker-executor.ts`)
 * runs the same {@link computeTensorInto} in worker threads, so the CPU backend uses every core.
 */
import { AppError } from '../shared/errors';
import { encodeFromF32, floatBytes } from '../io/safetensors/codec';
import { isFloatDType } from '../io/safetensors/dtype';
import type { PlannedTensor } from '../plan/types';
import type { Backend } from './backend';
import type { BufferPool } from './buffer-pool';
import type { Preloaded } from './evaluate';
import { streamTensor } from './evaluate';

/**
 * Elements per chunk when the CPU computes a tensor whose inputs are in memory: 64 Ki f32 (256 KiB) of results stay in
 * the core's cache between the merge and the encode (measured 10 % faster than 1 Mi for slerp on this machine).
 */
export const CPU_COMPUTE_CHUNK_ELEMENTS = 1 << 16;

/**
 * Elements per chunk when the WebGPU backend computes a tensor whose inputs are in memory: four of its 1 Mi-element
 * sub-chunks, so that its staging ring (three in flight) fills within a chunk instead of draining at every one (measured
 * on SwiftShader, 2 × 400 MB: nearswap 2.87 → 2.47 s, slerp 4.85 → 3.66 s against 1 Mi-element chunks).
 */
export const GPU_COMPUTE_CHUNK_ELEMENTS = 1 << 22;

/**
 * Tensors the WebGPU backend computes at once (on the calling thread; their submissions interleave in its queue): while
 * one waits on a dependency only it has (slerp's statistics before its weighted sum, its last readbacks, the next
 * tensor's first upload), the other keeps the GPU busy. Measured on SwiftShader, 2 × 400 MB, three runs each, alternating
 * with one at a time: slerp 3.51–4.56 → 3.09–3.38 s, nearswap 2.22–2.65 → 1.95–2.30 s. The in-flight budget bounds
 * memory as before.
 */
export const GPU_TENSORS_AT_ONCE = 2;

/** What comes back from a computation: the output bytes and the input buffers (which may have moved threads). */
export interface Computed {
  readonly out: Uint8Array;
  readonly preloaded: Preloaded;
}

export interface TensorExecutor {
  readonly concurrency: number;
  /** What computes ("CPU, 2 worker threads"). */
  readonly label: string;
  /**
   * Whether its threads compute in `SharedArrayBuffer`s handed to them (the run's pool then allocates those); otherwise
   * buffers move as transfers.
   */
  readonly sharesMemory?: boolean;
  compute(tensor: PlannedTensor, preloaded: Preloaded, out: Uint8Array, signal?: AbortSignal): Promise<Computed>;
  dispose(): Promise<void>;
}

export interface ComputeOptions {
  readonly backend: Backend;
  readonly pool: BufferPool;
  readonly chunkElements: number;
  readonly signal?: AbortSignal | undefined;
}

/** Computes `tensor` chunk by chunk from `preloaded` and encodes it into `out` (exactly its size in bytes). */
export async function computeTensorInto(tensor: PlannedTensor, preloaded: Preloaded, out: Uint8Array, options: ComputeOptions): Promise<void> {
  const dtype = tensor.dtype;
  if (!isFloatDType(dtype)) throw new AppError('E_INTERNAL', `Tensor ${tensor.name} (${dtype}) is not computed.`);
  let offset = 0;
  const open = () => Promise.reject(new AppError('E_INTERNAL', `Tensor ${tensor.name}: an input was not preloaded.`));
  // The backend may encode chunks straight into `out` (counted by the return value); the sink encodes the others.
  const direct = await streamTensor(tensor.expr, tensor.name, tensor.shape, { ...options, open, preloaded, encodedAs: dtype, encodeInto: out }, (values) => {
    const size = floatBytes(dtype, values.length);
    encodeFromF32(dtype, values, out.subarray(offset, offset + size));
    offset += size;
    return Promise.resolve();
  });
  offset += floatBytes(dtype, direct);
  if (offset !== out.byteLength) throw new AppError('E_INTERNAL', `Tensor ${tensor.name}: computed ${offset} of ${out.byteLength} bytes.`);
}

/**
 * Computes on the calling thread, `concurrency` tensors at once (default one): more only help a backend that waits on
 * work done elsewhere (the GPU).
 */
export function inThreadExecutor(options: ComputeOptions & { readonly concurrency?: number }): TensorExecutor {
  return {
    concurrency: Math.max(1, options.concurrency ?? 1),
    label: options.backend.label,
    compute: async (tensor, preloaded, out, signal) => {
      await computeTensorInto(tensor, preloaded, out, { ...options, signal });
      return { out, preloaded };
    },
    dispose: () => Promise.resolve(),
  };
}
