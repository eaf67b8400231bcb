/**
 * A {@link BackendMerger} over a CPU kernel of `methods/`: decodes each encoded chunk to f32, runs the kernel's passes,
 * and rounds the output chunk to the requested dtype. The CPU backend's merger, and the WebGPU backend's fallback for
 * methods without a GPU kernel.
 */
import { decodeToF32, roundInPlace } from '../io/safetensors/codec';
import type { MethodKernel, MergeJob, TensorMerger } from '../methods/kernel';
import type { BackendMerger, EncodedChunk } from './backend';

export function decodeChunks(inputs: readonly EncodedChunk[], count: number): Float32Array[] {
  return inputs.map((input) => {
    const values = new Float32Array(count);
    decodeToF32(input.dtype, input.bytes, values);
    return values;
  });
}

export function cpuMerger(kernel: MethodKernel, job: MergeJob, inputCount: number): BackendMerger {
  return fromTensorMerger(kernel(job, inputCount));
}

export function fromTensorMerger(merger: TensorMerger): BackendMerger {
  return {
    passes: merger.passes,
    rowLength: merger.rowLength,
    reduce: (pass, inputs, start, count) => {
      merger.reduce(pass, decodeChunks(inputs, count), start);
      return Promise.resolve();
    },
    endPass: (pass) => {
      merger.endPass(pass);
      return Promise.resolve();
    },
    apply: (inputs, start, count, roundTo) => {
      const out = new Float32Array(count);
      merger.apply(decodeChunks(inputs, count), start, out);
      roundInPlace(roundTo, out);
      return Promise.resolve(out);
    },
    release: () => undefined,
  };
}
