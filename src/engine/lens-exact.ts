/**
 * The weight lens's exact mode: every element of every planned tensor, streamed in chunks of at most
 * {@link EXACT_CHUNK_ELEMENTS} (per model). Each chunk pair is reduced to float64 sums of its own by the
 * {@link LensReducer} — the worker pool's reducer takes as many at once as it has workers — and a tensor's chunk sums
 * are added in chunk order once all are in, so the result is the same bits whichever worker took which chunk, and for
 * any pool size. At most `concurrency + 1` chunk pairs are in memory (one being read while the others reduce), and
 * their buffers are read into again once reduced (back from the workers where they were transferred): fresh 8 MiB
 * buffers per chunk cost page faults and leave garbage faster than it is collected.
 */
import { AppError } from '../shared/errors';
import { numel } from '../io/safetensors/dtype';
import type { Model } from '../io/model/types';
import { addSums, emptySums, exactErrors, metricsOf } from '../methods/lens-stats';
import type { LensSums } from '../methods/lens-stats';
import type { LensTensor } from '../methods/lens-report';
import { bytesPerElement, readPair } from './lens-read';
import type { ChunkAllocator, LensTensorPlan } from './lens-read';
import type { LensReducer } from './lens-reducer';

/** Elements per read in exact mode (per model). */
export const EXACT_CHUNK_ELEMENTS = 1 << 21;

export interface ExactOptions {
  readonly reducer: LensReducer;
  readonly nearswapT: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Elements per chunk (default {@link EXACT_CHUNK_ELEMENTS}). */
  readonly chunkElements?: number | undefined;
  /** After each chunk pair is reduced: its bytes (both models), and the tensor's index when that was its last chunk. */
  readonly onChunk: (bytes: number, tensorDone: number | undefined) => void;
}

interface Chunk {
  readonly tensor: number;
  readonly index: number;
  readonly start: number;
  readonly count: number;
}

function* chunksOf(tensors: readonly LensTensorPlan[], size: number): Generator<Chunk> {
  for (const [tensor, plan] of tensors.entries()) {
    const total = numel(plan.shape);
    for (let index = 0; index * size < total; index++) yield { tensor, index, start: index * size, count: Math.min(size, total - index * size) };
  }
}

/**
 * Buffers of reduced chunks, kept for the next reads: matched by size, the `limit` most recently freed kept (a tensor's
 * shorter last chunk, or another dtype's, ages out).
 */
function chunkBuffers(limit: number): { take: ChunkAllocator; give: (buffers: readonly ArrayBuffer[]) => void } {
  const spare: ArrayBuffer[] = [];
  return {
    take: (bytes) => {
      const at = spare.findLastIndex((buffer) => buffer.byteLength === bytes);
      return at < 0 ? new Uint8Array(bytes) : new Uint8Array(spare.splice(at, 1)[0] as ArrayBuffer);
    },
    // A transferred buffer reads 0 bytes here: only those still attached (or handed back) are kept.
    give: (buffers) => {
      for (const buffer of buffers) if (buffer.byteLength > 0 && !spare.includes(buffer)) spare.push(buffer);
      spare.splice(0, Math.max(0, spare.length - limit));
    },
  };
}

function tensorOf(plan: LensTensorPlan, parts: readonly LensSums[], withT: boolean): LensTensor {
  const sums = emptySums();
  for (const part of parts) addSums(sums, part);
  const metrics = metricsOf(sums, withT);
  return { name: plan.name, shape: plan.shape, ...metrics, sampled_elements: null, standard_error: exactErrors(metrics), sums };
}

/** Reduces every element of `tensors` (planned whole) in `a` and `b`; the results in plan order. */
export async function reduceExact(tensors: readonly LensTensorPlan[], a: Model, b: Model, options: ExactOptions): Promise<LensTensor[]> {
  const { reducer, nearswapT, signal, onChunk } = options;
  const size = options.chunkElements ?? EXACT_CHUNK_ELEMENTS;
  const withT = nearswapT !== undefined;
  const results = new Array<LensTensor>(tensors.length);
  const parts = tensors.map((plan) => new Array<LensSums>(Math.ceil(numel(plan.shape) / size)));
  const left = parts.map((p) => p.length);
  // Tensors with no elements have no chunk: their (empty) sums are done before any read.
  for (const [i, plan] of tensors.entries()) {
    if (left[i] !== 0) continue;
    results[i] = tensorOf(plan, [], withT);
    onChunk(0, i);
  }
  const queue = chunksOf(tensors, size);
  const inFlight = Math.max(1, reducer.concurrency ?? 1) + 1;
  const buffers = chunkBuffers(2 * inFlight);
  let failure: { error: unknown } | undefined;
  const runner = async () => {
    try {
      for (let next = queue.next(); !next.done && failure === undefined; next = queue.next()) {
        if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The lens was cancelled.');
        const { tensor, index, start, count } = next.value;
        const plan = tensors[tensor] as LensTensorPlan;
        const [x, y] = await readPair(a, b, plan.name, start, count, { owned: buffers.take, signal });
        const sums = emptySums();
        await reducer.add(sums, x, y, count, nearswapT, buffers.give);
        buffers.give([x.bytes.buffer as ArrayBuffer, y.bytes.buffer as ArrayBuffer]);
        (parts[tensor] as LensSums[])[index] = sums;
        left[tensor] = (left[tensor] as number) - 1;
        const done = left[tensor] === 0;
        if (done) results[tensor] = tensorOf(plan, parts[tensor] as LensSums[], withT);
        const ta = a.tensors.get(plan.name);
        const tb = b.tensors.get(plan.name);
        onChunk(count * ((ta === undefined ? 0 : bytesPerElement(ta)) + (tb === undefined ? 0 : bytesPerElement(tb))), done ? tensor : undefined);
      }
    } catch (error) {
      failure ??= { error };
    }
  };
  // Every runner stops at its next chunk once one fails; the failure is thrown when none is left in flight.
  await Promise.all(Array.from({ length: inFlight }, runner));
  if (failure !== undefined) throw failure.error;
  return results;
}
