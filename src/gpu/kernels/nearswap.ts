/** nearswap.wgsl: take the other model where it is within t of the base. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
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
  return rt.submit('nearswap', async (job) => {
        const values = await decodeInputs(job, inputs, count);
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base], ['u32', other], ['f32', t]]), 'params');
    await job.dispatch('nearswap.wgsl', { OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, out, params], count);
    return job.readbackF32(out);
  });
}
