/** weighted_sum.wgsl: (Σ wₘ·xₘ) / divisor — linear, scaled passthrough, and the output of slerp and the Gram methods. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { Binding, EncodedInput, GpuJob, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
import { bindEncoded, encodedPair, groupInvocations, groupOutput, packsBytes, readbackBytes, readbackEncoded } from './encoded';
import type { OutputKernel } from './encoded';
import { decodeInputs } from './inputs';

/** (Σ wₘ·xₘ) / divisor, rounded to `outDtype`. */
export function weightedSumOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  weights: readonly number[],
  divisor: number,
  outDtype: FloatDType,
): Promise<Readback<Float32Array>> {
  return weightedSumKernel(weights, divisor).values(rt, inputs, count, outDtype);
}

/** (Σ wₘ·xₘ) / divisor, for the weights and divisor given. */
export function weightedSumKernel(weights: readonly number[], divisor: number): OutputKernel {
  /** The two-input kernel on the inputs as stored; `read` says how its output comes back. */
  const encoded = <T>(rt: GpuRuntime, a: EncodedInput, b: EncodedInput, count: number, outDtype: FloatDType, read: (job: GpuJob, out: Binding) => Readback<T>) =>
    rt.submit('weighted_sum', async (job) => {
      const { bindings, constants } = bindEncoded(job, a, b);
      const out = groupOutput(job, count, outDtype);
      const params = job.uniform(uniformBlock([['u32', count], ['f32', weights[0] ?? 0], ['f32', weights[1] ?? 0], ['f32', divisor]]), 'params');
      await job.dispatch('weighted_sum_encoded.wgsl', { ...constants, OUT_DTYPE: DTYPE_CODE[outDtype] }, [...bindings, out, params], groupInvocations(count));
      return read(job, out);
    });
  return {
    values: (rt, inputs, count, outDtype) => {
      const [a, b] = inputs;
      if (inputs.length === 2 && encodedPair(a, b)) return encoded(rt, a, b as EncodedInput, count, outDtype, (job, out) => readbackEncoded(job, out, count, outDtype));
      return rt.submit('weighted_sum', async (job) => {
        const values = await decodeInputs(job, inputs, count);
        const w = job.upload(new Uint8Array(Float32Array.from(weights).buffer), 'weights');
        const out = job.storage(count * 4, 'output');
        const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['f32', divisor]]), 'params');
        await job.dispatch('weighted_sum.wgsl', { INPUTS: inputs.length, OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, w, out, params], count);
        return job.readbackF32(out);
      });
    },
    bytes: (rt, inputs, count, outDtype) => {
      const [a, b] = inputs;
      if (inputs.length !== 2 || !encodedPair(a, b) || !packsBytes(outDtype)) return undefined;
      return encoded(rt, a, b as EncodedInput, count, outDtype, (job, out) => readbackBytes(job, out, count, outDtype));
    },
  };
}
