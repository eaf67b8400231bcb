/** cast.wgsl: decode and round, integer work only (bit-exact casts between F32, F16 and BF16). */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime } from '../runtime';
import { DTYPE_CODE, GpuJob, uniformBlock } from '../runtime';
import { readF32 } from './inputs';

/** Decode and round: the values of `input` as `outDtype` would hold them (bit-exact). */
export function castOp(rt: GpuRuntime, input: EncodedInput, count: number, outDtype: FloatDType): Promise<Float32Array> {
  return rt.guard('cast', async () => {
    const job = new GpuJob(rt, 'cast');
    const source = job.upload(input.bytes, 'input');
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count]]), 'params');
    await job.dispatch('cast.wgsl', { SRC_DTYPE: DTYPE_CODE[input.dtype], OUT_DTYPE: DTYPE_CODE[outDtype] }, [source, out, params], count);
    return readF32(job, out);
  });
}
