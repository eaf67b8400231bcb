/**
 * The weight lens's reads: the same elements of one tensor in both models, as stored. Exact mode asks for chunks it
 * owns whole (a fresh buffer each, never a view into a source's cache), so a reducer may transfer them to a worker.
 */
import { dtypeBits } from '../io/safetensors/dtype';
import type { FloatDType } from '../io/safetensors/dtype';
import type { Model, ModelTensor } from '../io/model/types';
import type { EncodedChunk } from './backend';

/** One tensor of a lens plan: what is read of it (both modes read through this module). */
export interface LensTensorPlan {
  readonly name: string;
  readonly shape: readonly number[];
  /** Sampled segment indexes (ascending), or undefined when the tensor is read whole. */
  readonly segments: readonly number[] | undefined;
  /** Elements per segment (segment i covers elements [i·length, (i + 1)·length)). */
  readonly segmentLength: number;
  /** Bytes read from both models together. */
  readonly bytes: number;
}

export function bytesPerElement(tensor: ModelTensor): number {
  return dtypeBits(tensor.dtype) / 8;
}

/** Where exact mode's chunks are read: a buffer of exactly `bytes`, the caller's own (fresh or reused). */
export type ChunkAllocator = (bytes: number) => Uint8Array;

/** Elements `[start, start + count)` of a tensor, as stored; with `owned`, in a buffer from it. */
async function readEncoded(model: Model, tensor: ModelTensor, start: number, count: number, owned: ChunkAllocator | undefined, signal?: AbortSignal): Promise<EncodedChunk> {
  const size = bytesPerElement(tensor);
  const source = await model.folder.open(tensor.file);
  const into = owned?.(count * size);
  const bytes = await source.read(tensor.offset + start * size, count * size, signal, into);
  if (into === undefined || bytes.buffer === into.buffer) return { dtype: tensor.dtype as FloatDType, bytes };
  // The source answered with a view of its own buffer: copy it into ours.
  into.set(bytes);
  return { dtype: tensor.dtype as FloatDType, bytes: into };
}

/** Elements `[start, start + count)` of tensor `name` in `a` and in `b`. */
export function readPair(a: Model, b: Model, name: string, start: number, count: number, options: { owned?: ChunkAllocator | undefined; signal?: AbortSignal | undefined }): Promise<[EncodedChunk, EncodedChunk]> {
  const ta = a.tensors.get(name) as ModelTensor;
  const tb = b.tensors.get(name) as ModelTensor;
  return Promise.all([readEncoded(a, ta, start, count, options.owned, options.signal), readEncoded(b, tb, start, count, options.owned, options.signal)]);
}
