/**
 * The fast path of the two-input kernels (nearswap, slerp's statistics, a weighted sum of two): the encoded inputs are
 * bound as they were uploaded and decoded inside the kernel (lib/two_inputs.wgsl), so a sub-chunk is one dispatch with
 * no decoded f32 copy in between; a BF16 output comes back packed (two halves per word: half the readback) and is
 * widened to f32 on the host (a shift), F16 and F32 outputs as f32 words. Inputs with a LoRA to bake take the general
 * path (decode, bake, then the kernel).
 */
import type { FloatDType } from '../../io/safetensors/dtype';
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
  return job.storage(4 * (outDtype === 'BF16' ? Math.ceil(count / 2) : count), 'output');
}

/** Invocations of a lib/per_pair.wgsl kernel: one per pair of elements. */
export function pairInvocations(count: number): number {
  return Math.ceil(count / 2);
}

/** Reads `out` back as `count` f32 values (BF16 halves widened: exact, the values were rounded on the GPU). */
export function readbackEncoded(job: GpuJob, out: Binding, count: number, outDtype: FloatDType): Readback<Float32Array> {
  if (outDtype !== 'BF16') return job.readbackF32(out);
  const read = job.readback([out]);
  return async () => {
    const halves = new Uint16Array((await read())[0] as ArrayBuffer, 0, count);
    const words = new Uint32Array(count);
    for (let i = 0; i < count; i++) words[i] = (halves[i] as number) << 16;
    return new Float32Array(words.buffer);
  };
}
