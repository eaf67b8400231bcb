/** weighted_sum.wgsl: (Σ wₘ·xₘ) / divisor — linear, scaled passthrough, and the output of slerp and the Gram methods. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
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
  return rt.submit('weighted_sum', async (job) => {
        const values = await decodeInputs(job, inputs, count);
    const w = job.upload(new Uint8Array(Float32Array.from(weights).buffer), 'weights');
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['f32', divisor]]), 'params');
    await job.dispatch('weighted_sum.wgsl', { INPUTS: inputs.length, OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, w, out, params], count);
    return job.readbackF32(out);
  });
}
