/** nearswap.wgsl: take the other model where it is within t of the base. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
import { bindEncoded, groupInvocations, groupOutput, outputKernel } from './encoded';
import type { OutputKernel } from './encoded';
import { decodeInputs } from './inputs';

export function nearswapOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  base: number,
  other: number,
  t: number,
  outDtype: FloatDType,
): Promise<Readback<Float32Array>> {
  return nearswapKernel(base, other, t).values(rt, inputs, count, outDtype);
}

/** nearswap of `inputs[other]` into `inputs[base]` at threshold `t`. */
export function nearswapKernel(base: number, other: number, t: number): OutputKernel {
  return outputKernel({
    pair: (inputs) => [inputs[base], inputs[other]],
    encoded: (rt, a, b, count, outDtype, read) =>
      rt.submit('nearswap', async (job) => {
        const { bindings, constants } = bindEncoded(job, a, b);
        const out = groupOutput(job, count, outDtype);
        const params = job.uniform(uniformBlock([['u32', count], ['f32', t]]), 'params');
        await job.dispatch('nearswap_encoded.wgsl', { ...constants, OUT_DTYPE: DTYPE_CODE[outDtype] }, [...bindings, out, params], groupInvocations(count));
        return read(job, out);
      }),
    general: (rt, inputs, count, outDtype) =>
      rt.submit('nearswap', async (job) => {
        const values = await decodeInputs(job, inputs, count);
        const out = job.storage(count * 4, 'output');
        const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base], ['u32', other], ['f32', t]]), 'params');
        await job.dispatch('nearswap.wgsl', { OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, out, params], count);
        return job.readbackF32(out);
      }),
  });
}
