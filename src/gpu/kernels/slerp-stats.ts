/** slerp_stats.wgsl: per-block f32 partials of ‖a‖², ‖b‖², a·b for slerp. */
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { BLOCK, uniformBlock } from '../runtime';
import { bindEncoded, encodedPair } from './encoded';
import { decodeInputs } from './inputs';

/** Per block of {@link BLOCK} elements: a·a, b·b, a·b as f32 partials (3 per block). */
export function slerpStatsOp(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, base: number, other: number): Promise<Readback<Float32Array>> {
  const [a, b] = [inputs[base], inputs[other]];
  if (encodedPair(a, b)) {
    return rt.submit('slerp_stats', async (job) => {
      const { bindings, constants } = bindEncoded(job, a, b as EncodedInput);
      const partials = job.storage(Math.ceil(count / BLOCK) * 3 * 4, 'partials');
      const params = job.uniform(uniformBlock([['u32', count]]), 'params');
      await job.dispatch('slerp_stats_encoded.wgsl', constants, [...bindings, partials, params], Math.ceil(count / BLOCK));
      return job.readbackF32(partials);
    });
  }
  return rt.submit('slerp_stats', async (job) => {
    const values = await decodeInputs(job, inputs, count);
    const partials = job.storage(Math.ceil(count / BLOCK) * 3 * 4, 'partials');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base], ['u32', other]]), 'params');
    await job.dispatch('slerp_stats.wgsl', {}, [values, partials, params], Math.ceil(count / BLOCK));
    return job.readbackF32(partials);
  });
}
