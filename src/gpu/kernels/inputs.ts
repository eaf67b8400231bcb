/**
 * What the kernels share: every input decoded on the GPU into one f32 buffer (decode.wgsl, then lora_delta.wgsl for
 * an input with a LoRA to bake).
 */
import type { Binding, EncodedInput } from '../runtime';
import { DTYPE_CODE, uniformBlock } from '../runtime';
import type { GpuJob } from '../runtime';
import { bakeLora } from './lora-delta';

/** Decodes every input into one f32 buffer, input m at element m·count (LoRAs baked in). */
export async function decodeInputs(job: GpuJob, inputs: readonly EncodedInput[], count: number): Promise<Binding> {
  const values = job.storage(Math.max(4, inputs.length * count * 4), 'decoded inputs');
  for (let m = 0; m < inputs.length; m++) {
    const input = inputs[m] as EncodedInput;
    const source = job.upload(input.bytes, `input ${m}`);
    const params = job.uniform(uniformBlock([['u32', count], ['u32', m * count]]), `decode ${m} params`);
    await job.dispatch('decode.wgsl', { SRC_DTYPE: DTYPE_CODE[input.dtype] }, [source, values, params], count);
    if (input.lora !== undefined) await bakeLora(job, values, m * count, input.lora, count);
  }
  return values;
}
