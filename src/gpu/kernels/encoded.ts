/**
 * The fast path of the two-input kernels (nearswap, slerp's statistics, a weighted sum of two, the lens statistics): the
 * encoded inputs are bound as they were uploaded and decoded inside the kernel (lib/two_inputs.wgsl), eight elements per
 * invocation, so a sub-chunk is one dispatch with no decoded f32 copy in between; a BF16 output comes back packed (two
 * halves per word: half the readback) and is widened to f32 on the host (a shift), F16 and F32 outputs as f32 words.
 * A BF16 or F32 output can also come back as the bytes a safetensors file stores ({@link outputKernel}): the engine
 * copies them into the output tensor with no widening and no encoding on the host.
 * Inputs and outputs are bound padded to whole groups of eight elements. Inputs with a LoRA to bake take the general
 * path (decode, bake, then the kernel).
 */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { Binding, EncodedInput, GpuJob, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE } from '../runtime';

/** Elements per invocation of the lib/two_inputs.wgsl kernels. */
const GROUP = 8;

/** Whether `a` and `b` can be bound encoded (neither has a LoRA to bake). */
export function encodedPair(a: EncodedInput | undefined, b: EncodedInput | undefined): a is EncodedInput {
  return a !== undefined && b !== undefined && a.lora === undefined && b.lora === undefined;
}

/** Uploads `a` and `b` as they are stored; returns their bindings and the override constants naming their dtypes. */
export function bindEncoded(job: GpuJob, a: EncodedInput, b: EncodedInput): { bindings: [Binding, Binding]; constants: { A_DTYPE: number; B_DTYPE: number } } {
  const groupBytes = (input: EncodedInput) => GROUP * (input.dtype === 'F32' ? 4 : 2);
  return {
    bindings: [job.upload(a.bytes, 'input a', groupBytes(a)), job.upload(b.bytes, 'input b', groupBytes(b))],
    constants: { A_DTYPE: DTYPE_CODE[a.dtype], B_DTYPE: DTYPE_CODE[b.dtype] },
  };
}

/** A lib/per_eight.wgsl kernel's output buffer for `count` elements of `outDtype`, in whole groups. */
export function groupOutput(job: GpuJob, count: number, outDtype: FloatDType): Binding {
  return job.storage(groupInvocations(count) * GROUP * (outDtype === 'BF16' ? 2 : 4), 'output');
}

/** Invocations of a lib/per_eight.wgsl kernel: one per group of eight elements. */
export function groupInvocations(count: number): number {
  return Math.ceil(count / GROUP);
}

/**
 * Reads `out` back as `count` f32 values (BF16 halves widened: exact, the values were rounded on the GPU). The bytes are
 * copied out of the mapped staging buffer first: typed-array reads of mapped memory measured several times slower.
 */
export function readbackEncoded(job: GpuJob, out: Binding, count: number, outDtype: FloatDType): Readback<Float32Array> {
  const read = job.readback([out]);
  if (outDtype !== 'BF16') return async () => new Float32Array((await read())[0] as ArrayBuffer, 0, count);
  return async () => {
    const pairs = new Uint32Array((await read())[0] as ArrayBuffer, 0, Math.ceil(count / 2));
    const words = new Uint32Array(count);
    const whole = count - (count % 2);
    for (let i = 0; i < whole; i += 2) {
      const pair = pairs[i >> 1] as number;
      words[i] = pair << 16;
      words[i + 1] = pair & 0xffff0000;
    }
    if (whole < count) words[whole] = (pairs[whole >> 1] as number) << 16;
    return new Float32Array(words.buffer);
  };
}

/**
 * An output kernel with its parameters bound, over one sub-chunk: its result as f32 values, or as the output's stored
 * bytes where it can give them (two inputs bound encoded, a BF16 or F32 output; else undefined).
 */
export interface OutputKernel {
  values(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, outDtype: FloatDType): Promise<Readback<Float32Array>>;
  bytes(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, outDtype: FloatDType): Promise<Readback<Uint8Array>> | undefined;
}

/** What an output kernel is made of (see {@link outputKernel}). */
export interface OutputKernelParts {
  /** The two inputs the two-input kernel reads, when those are all it needs; else undefined. */
  pair(inputs: readonly EncodedInput[]): readonly [EncodedInput | undefined, EncodedInput | undefined] | undefined;
  /** The two-input kernel on the inputs as stored; `read` says how its output buffer comes back. */
  encoded<T>(rt: GpuRuntime, a: EncodedInput, b: EncodedInput, count: number, outDtype: FloatDType, read: (job: GpuJob, out: Binding) => Readback<T>): Promise<Readback<T>>;
  /** Any inputs: decoded on the GPU first, f32 values back. */
  general(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, outDtype: FloatDType): Promise<Readback<Float32Array>>;
}

/**
 * An output kernel from its parts: the two-input kernel where the pair can be bound encoded (values widened on the host,
 * or the stored bytes for a BF16 or F32 output), else the general path for values and no bytes.
 */
export function outputKernel(parts: OutputKernelParts): OutputKernel {
  const pairOf = (inputs: readonly EncodedInput[]): readonly [EncodedInput, EncodedInput] | undefined => {
    const [a, b] = parts.pair(inputs) ?? [];
    return encodedPair(a, b) ? [a, b as EncodedInput] : undefined;
  };
  return {
    values: (rt, inputs, count, outDtype) => {
      const pair = pairOf(inputs);
      if (pair === undefined) return parts.general(rt, inputs, count, outDtype);
      return parts.encoded(rt, pair[0], pair[1], count, outDtype, (job, out) => readbackEncoded(job, out, count, outDtype));
    },
    bytes: (rt, inputs, count, outDtype) => {
      const pair = pairOf(inputs);
      if (pair === undefined || !(outDtype === 'BF16' || outDtype === 'F32')) return undefined;
      // The kernel's output words are the stored bytes: BF16 pairs as packed, F32 words as they are.
      const read = (job: GpuJob, out: Binding): Readback<Uint8Array> => {
        const back = job.readback([out]);
        return async () => new Uint8Array((await back())[0] as ArrayBuffer, 0, count * (outDtype === 'F32' ? 4 : 2));
      };
      return parts.encoded(rt, pair[0], pair[1], count, outDtype, read);
    },
  };
}
