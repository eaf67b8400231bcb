/** nearswap.wgsl: take the other model where it is within t of the base. */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime } from '../runtime';
import { DTYPE_CODE, GpuJob, uniformBlock } from '../runtime';
import { decodeInputs, readF32 } from './inputs';

export function nearswapOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  base: number,
  other: number,
  t: number,
  outDtype: FloatDType,
): Promise<Float32Array> {
  return rt.guard('nearswap', async () => {
    const job = new GpuJob(rt, 'nearswap');
    const values = await decodeInputs(job, inputs, count);
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base], ['u32', other], ['f32', t]]), 'params');
    await job.dispatch('nearswap.wgsl', { OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, out, params], count);
    return readF32(job, out);
  });
}
