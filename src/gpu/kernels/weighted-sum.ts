/** weighted_sum.wgsl: (Σ wₘ·xₘ) / divisor — linear, scaled passthrough, and the output of slerp and the Gram methods. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
import { bindEncoded, encodedPair, groupInvocations, groupOutput, readbackEncoded } from './encoded';
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
  const [a, b] = inputs;
  if (inputs.length === 2 && encodedPair(a, b)) {
    return rt.submit('weighted_sum', async (job) => {
      const { bindings, constants } = bindEncoded(job, a, b as EncodedInput);
      const out = groupOutput(job, count, outDtype);
      const params = job.uniform(uniformBlock([['u32', count], ['f32', weights[0] ?? 0], ['f32', weights[1] ?? 0], ['f32', divisor]]), 'params');
      await job.dispatch('weighted_sum_encoded.wgsl', { ...constants, OUT_DTYPE: DTYPE_CODE[outDtype] }, [...bindings, out, params], groupInvocations(count));
      return readbackEncoded(job, out, count, outDtype);
    });
  }
  return rt.submit('weighted_sum', async (job) => {
    const values = await decodeInputs(job, inputs, count);
    const w = job.upload(new Uint8Array(Float32Array.from(weights).buffer), 'weights');
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['f32', divisor]]), 'params');
    await job.dispatch('weighted_sum.wgsl', { INPUTS: inputs.length, OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, w, out, params], count);
    return job.readbackF32(out);
  });
}
