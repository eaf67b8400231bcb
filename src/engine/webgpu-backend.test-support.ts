/**
 * Shared by the WebGPU backend tests (Node with Dawn, and Chromium): generated inputs in each dtype, a driver that feeds
 * a BackendMerger chunk by chunk as the engine does, the CPU reference (KERNELS via runMerger + roundInPlace), and the
 * distance in units in the last place of the output dtype.
 */
import { decodeToF32, encodeFromF32, f32ToBf16, f32ToF16, floatBytes, roundInPlace } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import type { MergeJob, ParamValue } from '../methods/kernel';
import type { LoraFactors } from '../methods/lora-delta';
import { runMerger } from '../methods/kernel';
import { KERNELS } from '../methods/kernels';
import type { BackendMerger, EncodedChunk } from './backend';
import { sliceChunk } from './backend';

export interface MergeCase {
  readonly name: string;
  readonly method: string;
  readonly models: number;
  readonly baseIndex?: number;
  readonly globals?: Record<string, ParamValue>;
  readonly perModel?: (i: number) => Record<string, ParamValue>;
  /** Tensor shape (default: one row of the test's element count). */
  readonly shape?: readonly number[];
  /** Whether the other models are small perturbations of model 0 (fine-tunes of one parent) or independent. */
  readonly related?: boolean;
}

/** Seeded normal-ish values (an LCG + Box–Muller, independent of the code under test). */
export function gaussian(seed: number, n: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next()));
}

/** The inputs of a case, encoded in `dtype` (whole tensors) and decoded back (what the CPU reference sees). */
export function caseInputs(c: MergeCase, dtype: FloatDType, numel: number): { encoded: EncodedChunk[]; decoded: Float32Array[] } {
  const parent = gaussian(7, numel, 0.05);
  const encoded: EncodedChunk[] = [];
  const decoded: Float32Array[] = [];
  for (let m = 0; m < c.models; m++) {
    let values: Float32Array;
    if (c.related === false) values = gaussian(100 + m, numel, 0.05);
    else if (m === 0) values = parent;
    else {
      const noise = gaussian(200 + m, numel, 0.01);
      values = parent.map((x, i) => x + (noise[i] as number));
    }
    const { bytes, decoded: back } = encodeCase(dtype, values);
    encoded.push({ dtype, bytes });
    decoded.push(back);
  }
  return { encoded, decoded };
}

/** Values encoded in `dtype`, and decoded back. */
export function encodeCase(dtype: FloatDType, values: Float32Array): { dtype: FloatDType; bytes: Uint8Array; decoded: Float32Array } {
  const bytes = new Uint8Array(floatBytes(dtype, values.length));
  encodeFromF32(dtype, values, bytes);
  const decoded = new Float32Array(values.length);
  decodeToF32(dtype, bytes, decoded);
  return { dtype, bytes, decoded };
}

/** A LoRA-baked input's shape: W is [out, in] ([in, out] with fan_in_fan_out), A [rank, in], B [out, rank]. */
export interface LoraShape {
  readonly name: string;
  readonly out: number;
  readonly in: number;
  readonly rank: number;
  readonly fanInFanOut: boolean;
}

export interface LoraDtypes {
  readonly w: FloatDType;
  readonly a: FloatDType;
  readonly b: FloatDType;
}

/** A weight with a LoRA to bake (scale 8 / rank), as the engine hands it to a backend, and its decoded parts. */
export function loraInput(shape: LoraShape, dtypes: LoraDtypes, seed: number): { weight: EncodedChunk; factors: LoraFactors; decoded: { w: Float32Array; a: Float32Array; b: Float32Array } } {
  const w = encodeCase(dtypes.w, gaussian(seed, shape.out * shape.in, 0.05));
  const a = encodeCase(dtypes.a, gaussian(seed + 1, shape.rank * shape.in, 0.05));
  const b = encodeCase(dtypes.b, gaussian(seed + 2, shape.out * shape.rank, 0.05));
  const [rows, columns] = shape.fanInFanOut ? [shape.in, shape.out] : [shape.out, shape.in];
  const factors: LoraFactors = { a, b, rank: shape.rank, rows, columns, scale: 8 / shape.rank, fanInFanOut: shape.fanInFanOut, dtype: dtypes.w };
  return { weight: { dtype: w.dtype, bytes: w.bytes, lora: { factors, start: 0 } }, factors, decoded: { w: w.decoded, a: a.decoded, b: b.decoded } };
}

export function caseJob(c: MergeCase, numel: number, shape: readonly number[] = [numel]): MergeJob {
  return {
    tensor: 'model.layers.3.self_attn.o_proj.weight',
    shape,
    numel,
    baseIndex: c.baseIndex,
    globals: c.globals ?? {},
    perModel: Array.from({ length: c.models }, (_, i) => c.perModel?.(i) ?? {}),
    seed: 1234,
  };
}

/** The CPU kernel's output, rounded to `roundTo`. */
export function cpuReference(c: MergeCase, job: MergeJob, decoded: readonly Float32Array[], roundTo: FloatDType): Float32Array {
  const kernel = KERNELS[c.method];
  if (kernel === undefined) throw new Error(`no kernel ${c.method}`);
  const out = runMerger(kernel(job, c.models), decoded, job.numel, job.numel);
  roundInPlace(roundTo, out);
  return out;
}

/** Feeds a merger the way the engine does: reduction passes, then apply, in chunks of about `chunk` elements. */
export async function runBackendMerger(
  merger: BackendMerger,
  inputs: readonly EncodedChunk[],
  numel: number,
  chunk: number,
  roundTo: FloatDType,
  between?: (start: number) => void,
): Promise<Float32Array> {
  const out = new Float32Array(numel);
  await feedMerger(merger, inputs, numel, chunk, async (parts, start, n) => {
    between?.(start);
    out.set(await merger.apply(parts, start, n, roundTo), start);
  });
  return out;
}

/** {@link runBackendMerger} through `applyEncoded`: the output encoded as `dtype` into `out`, chunk by chunk. */
export async function runBackendMergerEncoded(merger: BackendMerger, inputs: readonly EncodedChunk[], numel: number, chunk: number, dtype: FloatDType, out: Uint8Array): Promise<void> {
  const applyEncoded = merger.applyEncoded?.bind(merger);
  if (applyEncoded === undefined) throw new Error('the merger has no applyEncoded');
  await feedMerger(merger, inputs, numel, chunk, (parts, start, n) => applyEncoded(parts, start, n, dtype, out.subarray(floatBytes(dtype, start), floatBytes(dtype, start + n))));
}

/** The reduction passes, then `output` for each chunk of the output pass; releases the merger. */
async function feedMerger(
  merger: BackendMerger,
  inputs: readonly EncodedChunk[],
  numel: number,
  chunk: number,
  output: (parts: EncodedChunk[], start: number, n: number) => Promise<void>,
): Promise<void> {
  const row = merger.rowLength;
  const step = row === undefined ? Math.max(1, Math.min(chunk, numel)) : Math.max(row, Math.floor(chunk / row) * row);
  const parts = (start: number) => inputs.map((x) => sliceChunk(x, start, Math.min(step, numel - start)));
  for (let pass = 0; pass < merger.passes; pass++) {
    for (let start = 0; start < numel; start += step) await merger.reduce(pass, parts(start), start, Math.min(step, numel - start));
    await merger.endPass(pass);
  }
  for (let start = 0; start < numel; start += step) await output(parts(start), start, Math.min(step, numel - start));
  merger.release();
}

/** Position of a value on the integer line of `dtype` (adjacent representable values differ by 1). */
function ordinal(dtype: FloatDType, value: number): number {
  let bits: number;
  let signBit: number;
  if (dtype === 'F32') {
    bits = new Uint32Array(Float32Array.of(value).buffer)[0] as number;
    signBit = 0x80000000;
  } else {
    bits = dtype === 'BF16' ? f32ToBf16(value) : f32ToF16(value);
    signBit = 0x8000;
  }
  const magnitude = bits & (signBit - 1);
  return bits >= signBit ? -magnitude : magnitude;
}

/** Largest distance in ulps of `dtype` between two arrays, and how many elements differ at all. */
export function ulpDistance(dtype: FloatDType, a: Float32Array, b: Float32Array): { max: number; differing: number } {
  let max = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(ordinal(dtype, a[i] as number) - ordinal(dtype, b[i] as number));
    if (d > 0) differing += 1;
    max = Math.max(max, d);
  }
  return { max, differing };
}

export const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((x, i) => x === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);

/** Largest |a − b| in units of 2^-24 · max |b| (f32's half-ulp at the tensor's largest magnitude). */
export function scaledError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / (scale * 2 ** -24);
}
