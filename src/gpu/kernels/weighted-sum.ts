/** weighted_sum.wgsl: (Σ wₘ·xₘ) / divisor — linear, scaled passthrough, and the output of slerp and the Gram methods. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
import { bindEncoded, groupInvocations, groupOutput, outputKernel } from './encoded';
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
  return outputKernel({
    pair: (inputs) => (inputs.length === 2 ? [inputs[0], inputs[1]] : undefined),
    encoded: (rt, a, b, count, outDtype, read) =>
      rt.submit('weighted_sum', async (job) => {
        const { bindings, constants } = bindEncoded(job, a, b);
        const out = groupOutput(job, count, outDtype);
        const params = job.uniform(uniformBlock([['u32', count], ['f32', weights[0] ?? 0], ['f32', weights[1] ?? 0], ['f32', divisor]]), 'params');
        await job.dispatch('weighted_sum_encoded.wgsl', { ...constants, OUT_DTYPE: DTYPE_CODE[outDtype] }, [...bindings, out, params], groupInvocations(count));
        return read(job, out);
      }),
    general: (rt, inputs, count, outDtype) =>
      rt.submit('weighted_sum', async (job) => {
        const values = await decodeInputs(job, inputs, count);
        const w = job.upload(new Uint8Array(Float32Array.from(weights).buffer), 'weights');
        const out = job.storage(count * 4, 'output');
        const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['f32', divisor]]), 'params');
        await job.dispatch('weighted_sum.wgsl', { INPUTS: inputs.length, OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, w, out, params], count);
        return job.readbackF32(out);
      }),
  });
}
