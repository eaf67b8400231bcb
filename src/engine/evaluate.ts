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
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { ByteSource } from '../io/source/byte-source';
import type { MergeJob } from '../methods/kernel';
import { chunkStep } from '../methods/kernel';
import type { LoraFactors } from '../methods/lora-delta';
import type { LoraExpr, MergeExpr, ReadExpr, TensorExpr } from '../plan/types';
import type { Backend, EncodedChunk } from './backend';
import type { BufferPool } from './buffer-pool';
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
}


/** Consecutive element ranges of one input tensor; a returned chunk stays valid until the next `read`. */
interface ChunkReader {
  read(start: number, count: number): Promise<EncodedChunk>;
  release(): void;
}

/**
 * Streams the f32 values of a float tensor in chunks to `sink`, in element order. The top merge's `rowLength` decides
 * the chunk boundaries. A chunk handed to `sink` is only valid until `sink` resolves.
 */
export async function streamTensor(
  expr: TensorExpr,
  tensorName: string,
  shape: readonly number[],
  options: EvaluateOptions,
  sink: (values: Float32Array, start: number) => Promise<void>,
): Promise<void> {
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
    return;
  }
  await streamMerge(expr, tensorName, shape, options, sink, options.encodedAs === expr.dtype ? 'F32' : expr.dtype);
}

async function streamMerge(
  expr: MergeExpr,
  tensorName: string,
  shape: readonly number[],
  options: EvaluateOptions,
  sink: (values: Float32Array, start: number) => Promise<void>,
  roundTo: FloatDType = expr.dtype,
): Promise<void> {
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
      for (let start = 0; start < count; start += step) {
        checkCancelled(options.signal);
        const n = Math.min(step, count - start);
        await sink(await merger.apply(await chunks(start, n), start, n, roundTo), start);
      }
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
    readonly buffers: ArrayBuffer[],
    readonly views: Map<string, Uint8Array>,
    private readonly pool: BufferPool | undefined,
  ) {}

  get(expr: ReadExpr): Uint8Array | undefined {
    return this.views.get(readKey(expr));
  }

  /** Bytes of input held. */
  get bytes(): number {
    let sum = 0;
    for (const view of this.views.values()) sum += view.byteLength;
    return sum;
  }

  /** Gives the buffers back to the pool they came from. */
  release(): void {
    for (const buffer of this.buffers.splice(0)) this.pool?.release(buffer);
  }
}

/** Every input read of `expr` (once per distinct input range). */
export function leafReads(expr: TensorExpr): ReadExpr[] {
  const found = new Map<string, ReadExpr>();
  const visit = (e: TensorExpr): void => {
    if (e.kind === 'read') found.set(readKey(e), e);
    else if (e.kind === 'lora') [e.weight, e.a, e.b].forEach(visit);
    else e.inputs.forEach(visit);
  };
  visit(expr);
  return [...found.values()];
}

function readKey(expr: ReadExpr): string {
  return `${expr.input}\u0000${expr.file}\u0000${String(expr.offset)}`;
}

/** Input bytes a tensor reads (each distinct range once). */
export function inputBytesOf(expr: TensorExpr): number {
  return leafReads(expr).reduce((sum, r) => sum + r.length, 0);
}

/**
 * Reads every input range of `expr` whole (so that multi-pass methods read the disk or the network once, and the next
 * tensor's reads overlap this one's compute).
 */
export async function preloadTensor(
  expr: TensorExpr,
  options: { readonly open: OpenInput; readonly pool: BufferPool; readonly signal?: AbortSignal | undefined },
): Promise<Preloaded> {
  const preloaded = new Preloaded([], new Map(), options.pool);
  // allSettled: no buffer goes back to the pool while another read may still be filling it.
  const results = await Promise.allSettled(
    leafReads(expr).map(async (read) => {
      const buffer = options.pool.acquire(read.length);
      preloaded.buffers.push(buffer);
      const source = await options.open(read.input, read.file);
      const into = new Uint8Array(buffer, 0, read.length);
      const got = await source.read(read.offset, read.length, options.signal, into);
      if (got.buffer !== buffer) into.set(got);
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

export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The merge was cancelled.', { hint: 'Run it again to resume: finished shards are kept.' });
}
