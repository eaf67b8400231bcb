/**
 * How a merge method computes one output tensor, chunk by chunk, so memory does not grow with the tensor.
 *
 * A method declares `passes` reduction passes: the engine feeds every chunk of the inputs, in order, to `reduce(pass)`,
 * then calls `endPass(pass)`; after the last pass it feeds every chunk to `apply`, which writes the output chunk.
 * Inputs are decoded f32 chunks covering the same element range of each input tensor.
 *
 * Determinism rules (the WebGPU backend follows them too):
 * - reductions run over elements in index order and accumulate in f64, so a statistic does not depend on where chunks
 *   are cut;
 * - `apply` is elementwise given the statistics (or row-wise, for methods that declare `rowLength`), so output bytes do
 *   not depend on the chunk size either;
 * - order statistics (top-k) are exact, with ties broken by element index (the lower index ranks first), which is what a
 *   stable sort does;
 * - random masks come from {@link ./random} keyed by (seed, tensor, model, element index).
 */
import { AppError } from '../shared/errors';

export type ParamValue = number | boolean;

/** One output tensor's merge, with parameters already resolved for this tensor. */
export interface MergeJob {
  /** Output tensor name: keys the random masks and names the tensor in errors. */
  readonly tensor: string;
  readonly shape: readonly number[];
  readonly numel: number;
  /** Index of the base model among the inputs, if the method has one. */
  readonly baseIndex: number | undefined;
  readonly globals: Readonly<Record<string, ParamValue>>;
  /** One record per input. */
  readonly perModel: readonly Readonly<Record<string, ParamValue>>[];
  readonly seed: number;
}

export interface TensorMerger {
  /** Reduction passes before the output pass. */
  readonly passes: number;
  /** When set, every chunk must start and end on a multiple of this many elements (whole rows). */
  readonly rowLength?: number | undefined;
  reduce(pass: number, inputs: readonly Float32Array[], start: number): void;
  endPass(pass: number): void;
  apply(inputs: readonly Float32Array[], start: number, out: Float32Array): void;
  /**
   * Optional fast paths for chunks whose inputs are all bf16 (2 bytes per element, little-endian, any alignment):
   * the same results as decoding the chunk and calling reduce / apply, without the decode. They return false where
   * they do not apply, and the caller decodes.
   */
  reduceBf16?(pass: number, inputs: readonly Uint8Array[], start: number): boolean;
  applyBf16?(inputs: readonly Uint8Array[], start: number, out: Float32Array): boolean;
  /** {@link applyBf16} with the results encoded as bf16 bytes into `out` (the bits `encodeFromF32('BF16', …)` gives). */
  applyBf16Encoded?(inputs: readonly Uint8Array[], start: number, out: Uint8Array): boolean;
}

/** A method's kernel: builds the merger for one tensor, given how many inputs reach it. */
export type MethodKernel = (job: MergeJob, inputCount: number) => TensorMerger;

/** A merger with no reduction passes. */
export function elementwise(apply: TensorMerger['apply'], rowLength?: number): TensorMerger {
  return { passes: 0, ...(rowLength === undefined ? {} : { rowLength }), reduce: () => undefined, endPass: () => undefined, apply };
}

/** Copies input `index` unchanged (the "fewer inputs than usual" answer of several methods). */
export function copyInput(index: number): TensorMerger {
  return elementwise((inputs, _start, out) => out.set(inputs[index] as Float32Array));
}

export function numberParam(values: Readonly<Record<string, ParamValue>>, name: string, fallback?: number): number {
  const value = values[name];
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (fallback !== undefined) return fallback;
  throw new AppError('E_INTERNAL', `Parameter ${name} was not resolved.`);
}

export function boolParam(values: Readonly<Record<string, ParamValue>>, name: string, fallback: boolean): boolean {
  const value = values[name];
  return value === undefined ? fallback : Boolean(value);
}

/** Indexes of the inputs that are not the base, in order. */
export function otherIndexes(job: MergeJob, inputCount: number): number[] {
  return Array.from({ length: inputCount }, (_, i) => i).filter((i) => i !== job.baseIndex);
}

/**
 * Runs a merger over whole inputs in chunks of `chunkElements` (rounded to whole rows): the reference driver for tests
 * and the CPU backend's inner loop.
 */
export function runMerger(merger: TensorMerger, inputs: readonly Float32Array[], numel: number, chunkElements: number): Float32Array {
  const out = new Float32Array(numel);
  const step = chunkStep(merger, numel, chunkElements);
  const slice = (start: number) => inputs.map((x) => x.subarray(start, Math.min(numel, start + step)));
  for (let pass = 0; pass < merger.passes; pass++) {
    for (let start = 0; start < numel; start += step) merger.reduce(pass, slice(start), start);
    merger.endPass(pass);
  }
  for (let start = 0; start < numel; start += step) merger.apply(slice(start), start, out.subarray(start, Math.min(numel, start + step)));
  return out;
}

/** A chunk size that respects the merger's row length. */
export function chunkStep(merger: { readonly rowLength?: number | undefined }, numel: number, chunkElements: number): number {
  const row = merger.rowLength;
  if (row === undefined || row <= 0) return Math.max(1, Math.min(chunkElements, numel));
  return Math.max(row, Math.floor(chunkElements / row) * row);
}

/** The job's row length (last dimension; a 1-D or 0-D tensor is one row). */
export function rowLengthOf(job: MergeJob): number {
  return job.shape.length >= 2 ? (job.shape[job.shape.length - 1] as number) : Math.max(1, job.numel);
}
