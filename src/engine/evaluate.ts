/**
 * Evaluates a planned tensor's expression tree on the CPU, chunk by chunk.
 *
 * The top merge streams: its reduction passes and its output pass each read the leaves in chunks, so memory follows
 * the chunk size, not the tensor size. A nested merge (a stage of a multi-document recipe) is computed the same way
 * into one f32 buffer of the tensor's size, rounded to its stage's dtype, and then read like a leaf — so memory for a
 * nested tensor is one f32 copy of it per nesting level.
 */
import { AppError } from '../shared/errors';
import type { ByteSource } from '../io/source/byte-source';
import { decodeToF32, roundInPlace } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { MergeJob, TensorMerger } from '../methods/kernel';
import { chunkStep } from '../methods/kernel';
import { KERNELS } from '../methods/kernels';
import type { LoraExpr, MergeExpr, ReadExpr, TensorExpr } from '../plan/types';

/** Opens a weight file of an input by plan key. */
export type OpenInput = (input: string, file: string) => Promise<ByteSource>;

/** Produces consecutive element ranges of a tensor as f32. */
interface ChunkSource {
  read(start: number, count: number): Promise<Float32Array>;
}

export interface EvaluateOptions {
  readonly open: OpenInput;
  readonly chunkElements: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Streams the f32 values of a float tensor in chunks to `sink`, in element order. `rowLength` of the top merge decides
 * the chunk boundaries.
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
    const source = await leafSource(expr, options);
    for (let start = 0; start < count; start += options.chunkElements) {
      await sink(await source.read(start, Math.min(options.chunkElements, count - start)), start);
    }
    return;
  }
  const { merger, inputs } = await prepareMerge(expr, tensorName, shape, options);
  const step = chunkStep(merger, count, options.chunkElements);
  const out = new Float32Array(Math.min(step, count));
  for (let start = 0; start < count; start += step) {
    checkCancelled(options.signal);
    const n = Math.min(step, count - start);
    const values = await Promise.all(inputs.map((input) => input.read(start, n)));
    const chunk = out.subarray(0, n);
    merger.apply(values, start, chunk);
    roundInPlace(expr.dtype, chunk);
    await sink(chunk, start);
  }
}

/** Builds the merger and runs its reduction passes over the inputs. */
async function prepareMerge(
  expr: MergeExpr,
  tensorName: string,
  shape: readonly number[],
  options: EvaluateOptions,
): Promise<{ merger: TensorMerger; inputs: ChunkSource[] }> {
  const kernel = KERNELS[expr.method];
  if (kernel === undefined) throw new AppError('E_UNKNOWN_METHOD', `No kernel for merge method ${expr.method}.`);
  const inputs = await Promise.all(expr.inputs.map((input) => inputSource(input, tensorName, shape, options)));
  const count = numel(shape);
  const job: MergeJob = {
    tensor: tensorName,
    shape,
    numel: count,
    baseIndex: expr.baseIndex,
    globals: expr.globals,
    perModel: expr.perModel,
    seed: expr.seed,
  };
  let merger: TensorMerger;
  try {
    merger = kernel(job, expr.inputs.length);
  } catch (error) {
    throw error instanceof AppError ? error.withContext({ tensor: tensorName }) : error;
  }
  const step = chunkStep(merger, count, options.chunkElements);
  for (let pass = 0; pass < merger.passes; pass++) {
    for (let start = 0; start < count; start += step) {
      checkCancelled(options.signal);
      const n = Math.min(step, count - start);
      merger.reduce(pass, await Promise.all(inputs.map((input) => input.read(start, n))), start);
    }
    merger.endPass(pass);
  }
  return { merger, inputs };
}

async function inputSource(expr: TensorExpr, tensorName: string, shape: readonly number[], options: EvaluateOptions): Promise<ChunkSource> {
  if (expr.kind !== 'merge') return leafSource(expr, options);
  // A nested stage: computed once, whole, rounded to its stage's dtype (as if written to disk and read back).
  const whole = new Float32Array(numel(shape));
  await streamTensor(expr, tensorName, shape, options, (values, start) => {
    whole.set(values, start);
    return Promise.resolve();
  });
  return { read: (start, count) => Promise.resolve(whole.subarray(start, start + count)) };
}

async function leafSource(expr: ReadExpr | LoraExpr, options: EvaluateOptions): Promise<ChunkSource> {
  if (expr.kind === 'read') return readSource(expr, options);
  return loraSource(expr, options);
}

async function readSource(expr: ReadExpr, options: EvaluateOptions): Promise<ChunkSource> {
  if (!isFloatDType(expr.dtype)) throw new AppError('E_INTERNAL', `Tensor ${expr.tensor} (${expr.dtype}) cannot be merged as floats.`);
  const dtype: FloatDType = expr.dtype;
  const width = dtype === 'F32' ? 4 : 2;
  const source = await options.open(expr.input, expr.file);
  let bytes = new Uint8Array(0);
  let values = new Float32Array(0);
  return {
    read: async (start, count) => {
      if (bytes.length < count * width) {
        bytes = new Uint8Array(count * width);
        values = new Float32Array(count);
      }
      const raw = await source.read(expr.offset + start * width, count * width, options.signal, bytes);
      const out = values.subarray(0, count);
      decodeToF32(dtype, raw, out);
      return out;
    },
  };
}

/**
 * W + scale·B·A, element by element (flat index e of W: row e / in, column e % in; transposed when the adapter was
 * trained with fan_in_fan_out), rounded to W's dtype as PEFT's merge_and_unload leaves it. A is read once per tensor
 * (rank × in values); B row by row with the chunk.
 */
async function loraSource(expr: LoraExpr, options: EvaluateOptions): Promise<ChunkSource> {
  const weight = await leafSource(expr.weight as ReadExpr | LoraExpr, options);
  const a = await readAll(expr.a, options);
  const b = await readAll(expr.b, options);
  const [rank, inFeatures] = expr.a.shape as [number, number];
  const transposed = expr.fanInFanOut;
  const columns = transposed ? (expr.b.shape[0] as number) : inFeatures;
  return {
    read: async (start, count) => {
      const values = Float32Array.from(await weight.read(start, count));
      for (let i = 0; i < count; i++) {
        const e = start + i;
        const row = Math.floor(e / columns);
        const column = e % columns;
        const [outRow, inColumn] = transposed ? [column, row] : [row, column];
        let delta = 0;
        for (let k = 0; k < rank; k++) delta += (b[outRow * rank + k] as number) * (a[k * inFeatures + inColumn] as number);
        values[i] = (values[i] as number) + expr.scale * delta;
      }
      roundInPlace(expr.dtype, values);
      return values;
    },
  };
}

async function readAll(expr: ReadExpr, options: EvaluateOptions): Promise<Float32Array> {
  const source = await readSource(expr, options);
  return Float32Array.from(await source.read(0, numel(expr.shape)));
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The merge was cancelled.', { hint: 'Run it again to resume: finished shards are kept.' });
}
