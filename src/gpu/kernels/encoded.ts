/**
 * The fast path of the two-input kernels (nearswap, slerp's statistics, a weighted sum of two): the encoded inputs are
 * bound as they were uploaded and decoded inside the kernel (lib/two_inputs.wgsl), so a sub-chunk is one dispatch with
 * no decoded f32 copy in between; element-wise outputs come back in the output dtype's own encoding (two halves per
 * word for F16/BF16: half the readback) and are widened to f32 on the host. Inputs with a LoRA to bake take the general
 * path (decode, bake, then the kernel).
 */
import type { FloatDType } from '../../io/safetensors/dtype';
import { decodeToF32, floatBytes } from '../../io/safetensors/codec';
import type { Binding, EncodedInput, GpuJob, Readback } from '../runtime';
import { DTYPE_CODE } from '../runtime';

/** Whether `a` and `b` can be bound encoded (neither has a LoRA to bake). */
export function encodedPair(a: EncodedInput | undefined, b: EncodedInput | undefined): a is EncodedInput {
  return a !== undefined && b !== undefined && a.lora === undefined && b.lora === undefined;
}

/** Uploads `a` and `b` as they are stored; returns their bindings and the override constants naming their dtypes. */
export function bindEncoded(job: GpuJob, a: EncodedInput, b: EncodedInput): { bindings: [Binding, Binding]; constants: { A_DTYPE: number; B_DTYPE: number } } {
  return {
    bindings: [job.upload(a.bytes, 'input a'), job.upload(b.bytes, 'input b')],
    constants: { A_DTYPE: DTYPE_CODE[a.dtype], B_DTYPE: DTYPE_CODE[b.dtype] },
  };
}

/** A lib/per_pair.wgsl kernel's output buffer for `count` elements of `outDtype` (whole words). */
export function pairOutput(job: GpuJob, count: number, outDtype: FloatDType): Binding {
  return job.storage(Math.max(4, Math.ceil(floatBytes(outDtype, count) / 4) * 4), 'output');
}

/** Invocations of a lib/per_pair.wgsl kernel: one per pair of elements. */
export function pairInvocations(count: number): number {
  return Math.ceil(count / 2);
}

/** Reads `out` back and widens its `count` elements of `outDtype` to f32 (exact: the values were rounded on the GPU). */
export function readbackEncoded(job: GpuJob, out: Binding, count: number, outDtype: FloatDType): Readback<Float32Array> {
  const read = job.readback([out]);
  return async () => {
    const bytes = new Uint8Array((await read())[0] as ArrayBuffer, 0, floatBytes(outDtype, count));
    const values = new Float32Array(count);
    decodeToF32(outDtype, bytes, values);
    return values;
  };
}
