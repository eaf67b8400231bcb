/**
 * The weight lens: per-tensor statistics of two models (norms, cosine, relative difference, SLERP's angle, NearSwap's
 * share at a t) over every tensor both have with equal shapes. `planLens` says what will be read and roughly how long
 * it takes before anything is read; `runLens` reads and reduces on the CPU, in float64.
 *
 * Fast mode reads a fixed random sample of row segments of each large tensor with ranged reads (the same segments of
 * both models) and states each estimate's standard error; small tensors are read whole. A segment is a whole row, or
 * an equal part of a long one (at most {@link MAX_SEGMENT} elements), so the tensor is tiled into equal, contiguous
 * sampling units. Exact mode (lens-exact.ts) streams every element through a {@link LensReducer}: the CPU's (f64, on
 * this thread or on the worker pool, chunks in parallel) or the WebGPU backend's (lens-webgpu.ts: f32 partials per
 * block, f64 across blocks). Fast mode reduces on this thread: its samples are a few KiB per tensor, less than one
 * worker or GPU round trip is worth.
 */
import { AppError } from '../shared/errors';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { Model } from '../io/model/types';
import { accumulate, addSums, emptySums, sampledMetrics, scaleSums } from '../methods/lens-stats';
import type { LensMode, LensReport, LensTensor } from '../methods/lens-report';
import type { EngineEventListener } from './api';
import { cpuLensReducer, decodeChunk } from './lens-reducer';
import type { LensReducer } from './lens-reducer';
import { EXACT_CHUNK_ELEMENTS, reduceExact } from './lens-exact';
import { bytesPerElement, readPair } from './lens-read';
import type { LensTensorPlan } from './lens-read';

export type { LensTensorPlan } from './lens-read';

/** Row segments sampled per large tensor in fast mode. */
export const DEFAULT_SAMPLES = 8;
/** Longest sampled segment (elements): a 28672-wide row is read as one of its seven 4096-element parts. */
const MAX_SEGMENT = 4096;
/** Rows are not cut into parts shorter than this. */
const MIN_SEGMENT = 256;
/** Tensors at most this large (per model), or with few segments, are read whole even in fast mode. */
const WHOLE_BYTES = 256 * 1024;
/** Rough rates for the estimate: bytes read per second locally and from the Hub, elements reduced per second. */
const LOCAL_READ_BYTES_PER_SECOND = 400e6;
const HUB_READ_BYTES_PER_SECOND = 40e6;
const ELEMENTS_PER_SECOND = 150e6;
/** A Hub range request's round trip, divided by the requests in flight. */
const HUB_REQUEST_SECONDS = 0.05 / 16;


export interface LensPlan {
  readonly a: string;
  readonly b: string;
  readonly mode: LensMode;
  readonly samples: number;
  readonly tensors: readonly LensTensorPlan[];
  /** Tensors left out, with why (missing in one model, shapes differ, not floating point). */
  readonly skipped: LensReport['skipped'];
  readonly bytesToRead: number;
  readonly requests: number;
  readonly estimatedSeconds: number;
}

export interface LensOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: EngineEventListener | undefined;
  /** NearSwap's t: with it, each tensor reports the share of elements that move. */
  readonly nearswapT?: number | undefined;
  /** What reduces exact mode's chunks (default the CPU's, on this thread). */
  readonly reducer?: LensReducer | undefined;
  /** Exact mode's elements per chunk (default 2 Mi). */
  readonly chunkElements?: number | undefined;
}

/** A stable 32-bit seed from a tensor name (FNV-1a), so the same tensor samples the same segments every time. */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `m` distinct indexes out of `total`, uniformly at random from `seed` (Floyd's algorithm), ascending. */
export function sampleIndexes(total: number, m: number, seed: number): number[] {
  let state = seed || 1;
  const next = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const chosen = new Set<number>();
  for (let j = total - m; j < total; j++) {
    const r = Math.floor(next() * (j + 1));
    chosen.add(chosen.has(r) ? j : r);
  }
  return [...chosen].sort((x, y) => x - y);
}

export interface LensPlanOptions {
  readonly mode: LensMode;
  /** Row segments sampled per large tensor in fast mode (default {@link DEFAULT_SAMPLES}). */
  readonly samples?: number | undefined;
  /** Fast mode reads tensors of at most this many bytes (per model) whole (default 256 KiB). */
  readonly wholeBytes?: number | undefined;
  /** Threads that reduce exact mode's chunks (the worker pool; default 1): the estimate's reduction time is shared. */
  readonly reduceThreads?: number | undefined;
}

/**
 * The sampling unit's length for a tensor of `shape`: its row (the last dimensions together), or the longest equal part
 * of the row of at most {@link MAX_SEGMENT} elements (never shorter than {@link MIN_SEGMENT}: then the whole row).
 */
export function segmentLengthOf(shape: readonly number[]): number {
  const row = shape.length > 1 ? numel(shape.slice(1)) : numel(shape);
  for (let parts = Math.ceil(row / MAX_SEGMENT); row / parts >= MIN_SEGMENT; parts++) if (row % parts === 0) return row / parts;
  return row;
}

/** What a lens of `a` against `b` reads, and a rough duration. */
export function planLens(a: Model, b: Model, options: LensPlanOptions): LensPlan {
  const { mode, samples = DEFAULT_SAMPLES, wholeBytes = WHOLE_BYTES } = options;
  if (!Number.isInteger(samples) || samples < 2) throw new AppError('E_UNSUPPORTED', `The lens samples at least 2 segments per tensor (asked for ${samples}).`);
  const tensors: LensTensorPlan[] = [];
  const skipped: { name: string; reason: string }[] = [];
  let hubBytes = 0;
  let localBytes = 0;
  let requests = 0;
  let elements = 0;
  for (const [name, ta] of a.tensors) {
    const tb = b.tensors.get(name);
    if (tb === undefined) skipped.push({ name, reason: `not in ${b.ref}` });
    else if (ta.shape.join('x') !== tb.shape.join('x')) skipped.push({ name, reason: `shapes differ (${ta.shape.join('×')} vs ${tb.shape.join('×')})` });
    else if (!isFloatDType(ta.dtype) || !isFloatDType(tb.dtype)) skipped.push({ name, reason: `not floating point (${ta.dtype})` });
    else {
      const total = numel(ta.shape);
      const segmentLength = segmentLengthOf(ta.shape);
      const count = total / segmentLength;
      const whole = mode === 'exact' || count <= 2 * samples || Math.max(ta.length, tb.length) <= wholeBytes;
      const segments = whole ? undefined : sampleIndexes(count, samples, seedOf(name));
      const read = segments === undefined ? total : segments.length * segmentLength;
      const bytes = read * (bytesPerElement(ta) + bytesPerElement(tb));
      tensors.push({ name, shape: ta.shape, segments, segmentLength, bytes });
      elements += read;
      const reads = 2 * (segments === undefined ? Math.ceil(total / EXACT_CHUNK_ELEMENTS) : segments.length);
      requests += reads;
      const hubShare = (a.folder.kind === 'hub' ? bytesPerElement(ta) : 0) + (b.folder.kind === 'hub' ? bytesPerElement(tb) : 0);
      hubBytes += read * hubShare;
      localBytes += bytes - read * hubShare;
    }
  }
  for (const name of b.tensors.keys()) if (!a.tensors.has(name)) skipped.push({ name, reason: `not in ${a.ref}` });
  const anyHub = a.folder.kind === 'hub' || b.folder.kind === 'hub';
  // Fast mode reduces its few samples on this thread; exact mode's chunks go to every thread reducing.
  const threads = mode === 'exact' ? Math.max(1, options.reduceThreads ?? 1) : 1;
  const estimatedSeconds =
    hubBytes / HUB_READ_BYTES_PER_SECOND + localBytes / LOCAL_READ_BYTES_PER_SECOND + elements / (ELEMENTS_PER_SECOND * threads) + (anyHub ? requests * HUB_REQUEST_SECONDS : 0);
  return { a: a.ref, b: b.ref, mode, samples, tensors, skipped, bytesToRead: hubBytes + localBytes, requests, estimatedSeconds };
}

/** A sampled tensor in fast mode: its segments read and reduced on this thread, the estimates scaled to the tensor. */
async function sampleTensor(a: Model, b: Model, plan: LensTensorPlan, segments: readonly number[], t: number | undefined, signal?: AbortSignal): Promise<LensTensor> {
  const withT = t !== undefined;
  const total = numel(plan.shape);
  const length = plan.segmentLength;
  const count = total / length;
  const rows = await Promise.all(
    segments.map(async (segment) => {
      const [x, y] = await readPair(a, b, plan.name, segment * length, length, { signal });
      const sums = emptySums();
      accumulate(sums, decodeChunk(x, length), decodeChunk(y, length), t);
      return sums;
    }),
  );
  const { metrics, errors } = sampledMetrics(rows, count, withT);
  const sampled = emptySums();
  for (const row of rows) addSums(sampled, row);
  return { name: plan.name, shape: plan.shape, ...metrics, sampled_elements: sampled.elements, standard_error: errors, sums: scaleSums(sampled, count / rows.length) };
}

/** Tensors reduced at once in fast mode: its many small ranged reads overlap. */
const FAST_CONCURRENCY = 8;

/** Fast mode: each tensor's sampled segments, or the whole of a small one, reduced on this thread; `onTensor` after each. */
async function sampleAll(plan: LensPlan, a: Model, b: Model, t: number | undefined, signal: AbortSignal | undefined, onTensor: (tensor: LensTensorPlan) => void): Promise<LensTensor[]> {
  const results = new Array<LensTensor>(plan.tensors.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.tensors.length) {
      if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The lens was cancelled.');
      const index = next++;
      const tensor = plan.tensors[index] as LensTensorPlan;
      results[index] =
        tensor.segments === undefined
          ? ((await reduceExact([tensor], a, b, { reducer: cpuLensReducer, nearswapT: t, signal, onChunk: () => undefined }))[0] as LensTensor)
          : await sampleTensor(a, b, tensor, tensor.segments, t, signal);
      onTensor(tensor);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FAST_CONCURRENCY, Math.max(plan.tensors.length, 1)) }, worker));
  return results;
}

/** Runs a planned lens: the tensors in plan order, with 'start', 'progress' and 'done' events as for a merge. */
export async function runLens(plan: LensPlan, a: Model, b: Model, options: LensOptions = {}): Promise<LensReport> {
  const { signal, onEvent, nearswapT } = options;
  const reducer = plan.mode === 'exact' ? (options.reducer ?? cpuLensReducer) : cpuLensReducer;
  const started = globalThis.performance.now();
  const bytesTotal = plan.bytesToRead;
  onEvent?.({ type: 'start', tensorCount: plan.tensors.length, bytesTotal, resumedShards: [], restartReasons: [] });
  let done = 0;
  let bytesDone = 0;
  const progress = (bytes: number, tensorDone: boolean) => {
    bytesDone += bytes;
    if (tensorDone) done++;
    const seconds = (globalThis.performance.now() - started) / 1000;
    const rate = seconds > 0 ? bytesDone / seconds : 0;
    onEvent?.({
      type: 'progress',
      tensorsDone: done,
      tensorCount: plan.tensors.length,
      bytesDone,
      bytesTotal,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? (bytesTotal - bytesDone) / rate : undefined,
    });
  };
  const tensors =
    plan.mode === 'exact'
      ? await reduceExact(plan.tensors, a, b, { reducer, nearswapT, signal, chunkElements: options.chunkElements, onChunk: (bytes, tensor) => progress(bytes, tensor !== undefined) })
      : await sampleAll(plan, a, b, nearswapT, signal, (tensor) => progress(tensor.bytes, true));
  const seconds = (globalThis.performance.now() - started) / 1000;
  onEvent?.({ type: 'done', files: [], seconds });
  return { a: plan.a, b: plan.b, mode: plan.mode, backend: reducer.label, nearswap_t: nearswapT ?? null, tensors, skipped: plan.skipped, seconds };
}
