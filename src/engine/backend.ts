/**
 * The compute backend behind the engine: the CPU kernels of `methods/`, or WebGPU (`gpu/`). The engine reads and
 * decodes nothing itself for a backend: it hands over each chunk of each input as encoded bytes with its dtype (F32
 * for values already in memory, such as a nested stage's result), in element order, and receives the output chunk as
 * f32 values already rounded to the requested dtype.
 *
 * A merger follows the pass contract of `methods/kernel.ts`: `passes` reduction passes over every chunk in index
 * order, each closed by `endPass`, then `apply` on every chunk. Chunks start and end on multiples of `rowLength`
 * when it is set. The output of `apply` must not depend on the chunk size.
 */
import type { FloatDType } from '../io/safetensors/dtype';
import type { MergeJob } from '../methods/kernel';
import type { LoraBake } from '../methods/lora-delta';

/**
 * One input's elements [start, start + count) in their stored encoding (little-endian). With `lora` (a `model+lora`
 * input) the input's values are these elements of W with the LoRA baked in: the backend adds the delta and rounds
 * (engine/lora-bake.ts on the CPU, gpu/kernels/lora-delta.ts on the GPU).
 */
export interface EncodedChunk {
  readonly dtype: FloatDType;
  readonly bytes: Uint8Array;
  readonly lora?: LoraBake;
}

/** Elements [from, from + count) of a chunk (a LoRA bake moves along). */
export function sliceChunk(chunk: EncodedChunk, from: number, count: number): EncodedChunk {
  const width = chunk.dtype === 'F32' ? 4 : 2;
  const bytes = chunk.bytes.subarray(from * width, (from + count) * width);
  return chunk.lora === undefined ? { dtype: chunk.dtype, bytes } : { dtype: chunk.dtype, bytes, lora: { factors: chunk.lora.factors, start: chunk.lora.start + from } };
}

export interface BackendMerger {
  readonly passes: number;
  readonly rowLength: number | undefined;
  reduce(pass: number, inputs: readonly EncodedChunk[], start: number, count: number): Promise<void>;
  endPass(pass: number): Promise<void>;
  /** The merged values of [start, start + count), rounded to `roundTo` (round to nearest even). */
  apply(inputs: readonly EncodedChunk[], start: number, count: number, roundTo: FloatDType): Promise<Float32Array>;
  /**
   * Optional: the merged values of [start, start + count) encoded as `dtype` straight into `out` (exactly their size):
   * the bytes `apply(…, 'F32')` and `encodeFromF32(dtype, …)` give, without an f32 output in between.
   */
  applyEncoded?(inputs: readonly EncodedChunk[], start: number, count: number, dtype: FloatDType, out: Uint8Array): Promise<void>;
  /** Frees what the merger holds (GPU buffers); the merger is not used afterwards. */
  release(): void;
}

export interface Backend {
  readonly kind: 'cpu' | 'webgpu';
  /** What runs the merge, for the UI and the CLI ("CPU, 2 workers", the GPU adapter's description). */
  readonly label: string;
  /** Builds the merger of one output tensor for merge method `method` (a mergekit id). */
  createMerger(method: string, job: MergeJob, inputCount: number): Promise<BackendMerger>;
  dispose(): Promise<void>;
}
