/** cast.wgsl: decode and round, integer work only (bit-exact casts between F32, F16 and BF16). */
import type { FloatDType } from '../../io/safetensors/dtype';
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
import { decodeInputs } from './inputs';

/** Decode and round: the values of `input` as `outDtype` would hold them (bit-exact). */
export function castOp(rt: GpuRuntime, input: EncodedInput, count: number, outDtype: FloatDType): Promise<Readback<Float32Array>> {
  return rt.submit('cast', async (job) => {
        // A LoRA bake is decoded and baked first, then cast from f32.
    const source = input.lora === undefined ? job.upload(input.bytes, 'input') : await decodeInputs(job, [input], count);
    const from = input.lora === undefined ? input.dtype : 'F32';
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count]]), 'params');
    await job.dispatch('cast.wgsl', { SRC_DTYPE: DTYPE_CODE[from], OUT_DTYPE: DTYPE_CODE[outDtype] }, [source, out, params], count);
    return job.readbackF32(out);
  });
}
