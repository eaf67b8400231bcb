/**
 * Evaluates a planned tensor's expression tree chunk by chunk, on a {@link Backend}.
 *
 * Leaves are reads of input tensors, passed to the backend still encoded — LoRA bakes too: W's chunks carry the
 * factors, and the backend bakes them (on the CPU, or fused into the GPU's decode). The top merge streams: each of its
 * passes reads the leaves in chunks, from bytes preloaded whole when the tensor fits the memory budget (one read serves
 * every pass) or with read-ahead from the source otherwise. A nested merge (a stage of a multi-document recipe) is
 * computed the same way into one f32 buffer, rounded to its stage's dtype, and then read like a leaf.
 */
import { AppError } from '../shared/errors';
import type { FloatDType } from '../io/safetensors/dtype';
import { floatBytes } from '../io/safetensors/codec';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { ByteSource } from '../io/source/byte-source';
import type { MergeJob } from '../methods/kernel';
import { chunkStep } from '../methods/kernel';
import type { LoraFactors } from '../methods/lora-delta';
import { distinctReads, readKey, sharedReads } from '../plan/reads';
import { layoutReads } from '../plan/slabs';
import type { LoraExpr, MergeExpr, PlannedTensor, ReadExpr, TensorExpr } from '../plan/types';
import type { Backend, EncodedChunk } from './backend';
import type { BufferPool, PoolBuffer } from './buffer-pool';
import { Scratch } from './buffer-pool';
import { decodeChunk } from './cpu-backend';

/** Opens a weight file of an input by plan key. */
export type OpenInput = (input: string, file: string) => Promise<ByteSource>;

export interface EvaluateOptions {
  readonly open: OpenInput;
  readonly chunkElements: number;
  readonly backend: Backend;
  readonly pool: BufferPool;
  readonly signal?: AbortSignal | undefined;
  /** The tensor's input bytes, read whole ahead of time ({@link preloadTensor}). */
  readonly preloaded?: Preloaded | undefined;
  /**
   * The caller encodes the top result as this dtype (which rounds to nearest even by itself): when the top merge's
   * dtype is the same, its values are not rounded twice.
   */
  readonly encodedAs?: FloatDType | undefined;
  /**
   * The whole tensor's bytes as `encodedAs`: where the backend can encode the top merge's output itself
   * (`BackendMerger.applyEncoded`), its chunks are written here and `sink` is not called for them.
   */
  readonly encodeInto?: Uint8Array | undefined;
}


/** Consecutive element ranges of one input tensor; a returned chunk stays valid until the next `read`. */
interface ChunkReader {
  read(start: number, count: number): Promise<EncodedChunk>;
  release(): void;
}

/**
 * Streams the f32 values of a float tensor in chunks to `sink`, in element order. The top merge's `rowLength` decides
 * the chunk boundaries. A chunk handed to `sink` is only valid until `sink` resolves. Resolves to the number of
 * elements encoded into `options.encodeInto` instead of handed to `sink`.
 */
export async function streamTensor(
  expr: TensorExpr,
  tensorName: string,
  shape: readonly number[],
  options: EvaluateOptions,
  sink: (values: Float32Array, start: number) => Promise<void>,
): Promise<number> {
  const count = numel(shape);
  if (expr.kind !== 'merge') {
    const reader = await inputReader(expr, tensorName, shape, options);
    const scratch = new Scratch(options.pool);
    try {
      for (let start = 0; start < count; start += options.chunkElements) {
        checkCancelled(options.signal);
        const n = Math.min(options.chunkElements, count - start);
        await sink(decodeChunk(await reader.read(start, n), n, scratch), start);
      }
    } finally {
      scratch.release();
      reader.release();
    }
    return 0;
  }
  const encodedAs = options.encodedAs === expr.dtype ? expr.dtype : undefined;
  const direct = encodedAs === undefined || options.encodeInto === undefined ? undefined : { dtype: encodedAs, bytes: options.encodeInto };
  return withSharedReads(expr, options, (shared) => streamMerge(expr, tensorName, shape, shared, sink, encodedAs === undefined ? expr.dtype : 'F32', direct));
}

/**
 * The top merge (or a nested stage) chunk by chunk. With `direct`, a backend that encodes its output itself writes
 * every output chunk into `direct.bytes`; resolves to the number of elements written there.
 */
async function streamMerge(
  expr: MergeExpr,
  tensorName: string,
  shape: readonly number[],
  options: EvaluateOptions,
  sink: (values: Float32Array, start: number) => Promise<void>,
  roundTo: FloatDType = expr.dtype,
  direct?: { readonly dtype: FloatDType; readonly bytes: Uint8Array },
): Promise<number> {
  const count = numel(shape);
  const job: MergeJob = { tensor: tensorName, shape, numel: count, baseIndex: expr.baseIndex, globals: expr.globals, perModel: expr.perModel, seed: expr.seed };
  const readers: ChunkReader[] = [];
  try {
    for (const input of expr.inputs) readers.push(await inputReader(input, tensorName, shape, options));
    const merger = await options.backend.createMerger(expr.method, job, expr.inputs.length);
    try {
      const step = chunkStep(merger, count, options.chunkElements);
      const chunks = (start: number, n: number) => Promise.all(readers.map((r) => r.read(start, n)));
      for (let pass = 0; pass < merger.passes; pass++) {
        for (let start = 0; start < count; start += step) {
          checkCancelled(options.signal);
          const n = Math.min(step, count - start);
          await merger.reduce(pass, await chunks(start, n), start, n);
        }
        await merger.endPass(pass);
      }
      const encode = direct === undefined ? undefined : merger.applyEncoded?.bind(merger);
      for (let start = 0; start < count; start += step) {
        checkCancelled(options.signal);
        const n = Math.min(step, count - start);
        if (encode === undefined || direct === undefined) await sink(await merger.apply(await chunks(start, n), start, n, roundTo), start);
        else {
          const bytes = direct.bytes.subarray(floatBytes(direct.dtype, start), floatBytes(direct.dtype, start + n));
          await encode(await chunks(start, n), start, n, direct.dtype, bytes);
        }
      }
      return encode === undefined ? 0 : count;
    } finally {
      merger.release();
    }
  } finally {
    for (const reader of readers) reader.release();
  }
}

async function inputReader(expr: TensorExpr, tensorName: string, shape: readonly number[], options: EvaluateOptions): Promise<ChunkReader> {
  if (expr.kind === 'read') return readReader(expr, options);
  if (expr.kind === 'lora') return loraReader(expr, tensorName, shape, options);
  return nestedReader(expr, tensorName, shape, options);
}

/** A nested stage: computed once, whole, rounded to its stage's dtype (as if written to disk and read back). */
async function nestedReader(expr: MergeExpr, tensorName: string, shape: readonly number[], options: EvaluateOptions): Promise<ChunkReader> {
  const buffer = options.pool.acquire(numel(shape) * 4);
  const whole = new Float32Array(buffer, 0, numel(shape));
  try {
    await streamMerge(expr, tensorName, shape, options, (values, start) => {
      whole.set(values, start);
      return Promise.resolve();
    });
  } catch (error) {
    options.pool.release(buffer);
    throw error;
  }
  return {
    read: (start, count) => Promise.resolve({ dtype: 'F32', bytes: new Uint8Array(buffer, start * 4, count * 4) }),
    release: () => options.pool.release(buffer),
  };
}

function floatDType(expr: ReadExpr): FloatDType {
  if (!isFloatDType(expr.dtype)) throw new AppError('E_INTERNAL', `Tensor ${expr.tensor} (${expr.dtype}) cannot be merged as floats.`);
  return expr.dtype;
}

function elementWidth(dtype: FloatDType): number {
  return dtype === 'F32' ? 4 : 2;
}

/** Reads of one input tensor: views of preloaded bytes, or source reads with one chunk of read-ahead. */
async function readReader(expr: ReadExpr, options: EvaluateOptions): Promise<ChunkReader> {
  const dtype = floatDType(expr);
  const width = elementWidth(dtype);
  const whole = options.preloaded?.get(expr);
  if (whole !== undefined) {
    return { read: (start, count) => Promise.resolve({ dtype, bytes: whole.subarray(start * width, (start + count) * width) }), release: () => undefined };
  }
  const source = await options.open(expr.input, expr.file);
  const total = numel(expr.shape);
  const buffers = [new Scratch(options.pool), new Scratch(options.pool)];
  let turn = 0;
  let ahead: { start: number; count: number; bytes: Promise<Uint8Array> } | undefined;
  const fetch = (start: number, count: number): Promise<Uint8Array> => {
    const into = (buffers[turn] as Scratch).bytes(count * width);
    turn = 1 - turn;
    return source.read(expr.offset + start * width, count * width, options.signal, into);
  };
  return {
    read: async (start, count) => {
      const pending = ahead !== undefined && ahead.start === start && ahead.count === count ? ahead.bytes : undefined;
      if (pending === undefined) await ahead?.bytes.catch(() => undefined);
      const bytes = pending ?? fetch(start, count);
      ahead = undefined;
      const next = start + count;
      if (next < total) {
        const nextCount = Math.min(count, total - next);
        const promise = bytes.then(() => fetch(next, nextCount));
        promise.catch(() => undefined);
        ahead = { start: next, count: nextCount, bytes: promise };
      }
      return { dtype, bytes: await bytes };
    },
    release: () => {
      const settle = ahead?.bytes ?? Promise.resolve();
      ahead = undefined;
      // Buffers go back to the pool only once no read can still be filling them.
      void settle.catch(() => undefined).then(() => buffers.forEach((b) => b.release()));
    },
  };
}

/**
 * W with a LoRA baked in: chunks of W (still encoded) carrying the LoRA's factors, read whole; the backend adds
 * scale·B·A and rounds to W's dtype as PEFT's merge_and_unload leaves it (on the CPU or fused into the GPU's decode).
 * W may be a nested stage's result (`stage+lora`): its f32 chunks, already rounded to the stage's dtype, carry the bake.
 */
async function loraReader(expr: LoraExpr, tensorName: string, shape: readonly number[], options: EvaluateOptions): Promise<ChunkReader> {
  const weight = await inputReader(expr.weight, tensorName, shape, options);
  const [rows, columns] = expr.fanInFanOut ? [expr.a.shape[1] as number, expr.b.shape[0] as number] : [expr.b.shape[0] as number, expr.a.shape[1] as number];
  const factors: LoraFactors = {
    a: { dtype: floatDType(expr.a), bytes: await readWhole(expr.a, options) },
    b: { dtype: floatDType(expr.b), bytes: await readWhole(expr.b, options) },
    rank: expr.a.shape[0] as number,
    rows,
    columns,
    scale: expr.scale,
    fanInFanOut: expr.fanInFanOut,
    dtype: expr.dtype,
  };
  // A weight that is itself baked (not produced by plans today) is baked on the CPU first.
  const inner = new Scratch(options.pool);
  return {
    read: async (start, count) => {
      const chunk = await weight.read(start, count);
      if (chunk.lora === undefined) return { dtype: chunk.dtype, bytes: chunk.bytes, lora: { factors, start } };
      const values = decodeChunk(chunk, count, inner);
      return { dtype: 'F32', bytes: new Uint8Array(values.buffer, values.byteOffset, count * 4), lora: { factors, start } };
    },
    release: () => {
      weight.release();
      inner.release();
    },
  };
}

async function readWhole(expr: ReadExpr, options: EvaluateOptions): Promise<Uint8Array> {
  return options.preloaded?.get(expr) ?? (await (await options.open(expr.input, expr.file)).read(expr.offset, expr.length, options.signal));
}

/** Input bytes of one output tensor, read whole before it is computed: views into pool buffers, by read range. */
export class Preloaded {
  constructor(
    /** The buffers holding the bytes (what moves to a worker and back). */
    readonly buffers: PoolBuffer[],
    readonly views: Map<string, Uint8Array>,
    private readonly pool: BufferPool | undefined,
  ) {}

  /** The bytes of `expr`: a view of the range read for it (a crop's prefix of a longer read of the same tensor). */
  get(expr: ReadExpr): Uint8Array | undefined {
    return this.views.get(readKey(expr))?.subarray(0, expr.length);
  }

  /** Bytes of input held. */
  get bytes(): number {
    let sum = 0;
    for (const view of this.views.values()) sum += view.byteLength;
    return sum;
  }

  /** Gives the buffers back to the pool they came from (and drops the views into them). */
  release(): void {
    for (const buffer of this.buffers.splice(0)) this.pool?.release(buffer);
    this.views.clear();
  }
}

/**
 * Where a tensor computed from preloaded inputs can be encoded in place: the bytes of one of its top merge's direct
 * inputs, when that input has the output's dtype and size. The output pass reads each chunk of every input before its
 * result is written over the same range, and every earlier pass and nested stage is done by then; the output then
 * needs no buffer of its own (a third less memory for a two-model merge).
 */
export function inPlaceOutput(tensor: PlannedTensor, preloaded: Preloaded): Uint8Array | undefined {
  const expr = tensor.expr;
  if (expr.kind !== 'merge' || !isFloatDType(tensor.dtype)) return undefined;
  const size = floatBytes(tensor.dtype, numel(tensor.shape));
  for (const input of expr.inputs) {
    if (input.kind !== 'read' || input.dtype !== tensor.dtype || input.length !== size) continue;
    const view = preloaded.get(input);
    if (view !== undefined && view.byteLength === size) return view;
  }
  return undefined;
}

/**
 * Reads every input range of `expr` whole (so that multi-pass methods read the disk or the network once, and the next
 * tensor's reads overlap this one's compute).
 */
export function preloadTensor(expr: TensorExpr, options: PreloadOptions): Promise<Preloaded> {
  return preloadReads(distinctReads(expr), options);
}

interface PreloadOptions {
  readonly open: OpenInput;
  readonly pool: BufferPool;
  readonly signal?: AbortSignal | undefined;
  /** The run's slab size (`plan/slabs.ts`); without it every read has a buffer of its own. */
  readonly slabBytes?: number;
}

/** Reads the given ranges whole into pool buffers, all at once: long ones into shared slabs, the others on their own. */
async function preloadReads(reads: readonly ReadExpr[], options: PreloadOptions): Promise<Preloaded> {
  const preloaded = new Preloaded([], new Map(), options.pool);
  const slabBytes = options.slabBytes ?? 0;
  const layout = layoutReads(reads, slabBytes);
  const placed = [
    ...layout.slabs.flatMap((slab) => {
      const buffer = options.pool.acquire(slabBytes);
      preloaded.buffers.push(buffer);
      return slab.map(({ read, offset }) => ({ read, into: new Uint8Array(buffer, offset, read.length) }));
    }),
    ...layout.own.map((read) => {
      const buffer = options.pool.acquire(read.length);
      preloaded.buffers.push(buffer);
      return { read, into: new Uint8Array(buffer, 0, read.length) };
    }),
  ];
  // allSettled: no buffer goes back to the pool while another read may still be filling it.
  const results = await Promise.allSettled(
    placed.map(async ({ read, into }) => {
      const source = await options.open(read.input, read.file);
      const got = await source.read(read.offset, read.length, options.signal, into);
      if (got.buffer !== into.buffer || got.byteOffset !== into.byteOffset) into.set(got);
      preloaded.views.set(readKey(read), into);
    }),
  );
  const failure = results.find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    preloaded.release();
    throw failure.reason;
  }
  return preloaded;
}

/**
 * A streamed tensor whose tree reads one input range in several stages: that range is read whole once (one tensor's
 * bytes, encoded) and every stage reads its chunks from memory; the other ranges stream from their sources.
 */
async function withSharedReads<T>(expr: TensorExpr, options: EvaluateOptions, body: (options: EvaluateOptions) => Promise<T>): Promise<T> {
  const shared = sharedReads(expr).filter((read) => options.preloaded?.get(read) === undefined);
  if (shared.length === 0) return body(options);
  const extra = await preloadReads(shared, options);
  try {
    const views = new Map([...(options.preloaded?.views ?? []), ...extra.views]);
    return await body({ ...options, preloaded: new Preloaded([], views, undefined) });
  } finally {
    extra.release();
  }
}

export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The merge was cancelled.', { hint: 'Run it again to resume: finished shards are kept.' });
}
