/** cast.wgsl: decode and round, integer work only (bit-exact casts between F32, F16 and BF16). */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime } from '../runtime';
import { DTYPE_CODE, GpuJob, uniformBlock } from '../runtime';
import { decodeInputs, readF32 } from './inputs';

/** Decode and round: the values of `input` as `outDtype` would hold them (bit-exact). */
export function castOp(rt: GpuRuntime, input: EncodedInput, count: number, outDtype: FloatDType): Promise<Float32Array> {
  return rt.guard('cast', async () => {
    const job = new GpuJob(rt, 'cast');
    // A LoRA bake is decoded and baked first, then cast from f32.
    const source = input.lora === undefined ? job.upload(input.bytes, 'input') : await decodeInputs(job, [input], count);
    const from = input.lora === undefined ? input.dtype : 'F32';
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count]]), 'params');
    await job.dispatch('cast.wgsl', { SRC_DTYPE: DTYPE_CODE[from], OUT_DTYPE: DTYPE_CODE[outDtype] }, [source, out, params], count);
    return readF32(job, out);
  });
}
