/** probe/random_bits.wgsl: the WGSL counter hash, for tests against methods/random.ts. */
import type { GpuRuntime, Readback } from '../runtime';
import { uniformBlock } from '../runtime';

/** The counter hash of elements [start, start + count) of one stream (a probe for tests). */
export function randomBitsOp(rt: GpuRuntime, seed: number, stream: number, start: number, count: number): Promise<Readback<Uint32Array>> {
  return rt.submit('random_bits', async (job) => {
        const out = job.storage(count * 4, 'output');
    const params = job.uniform(
      uniformBlock([['u32', count], ['u32', seed], ['u32', stream], ['u32', start % 4294967296], ['u32', Math.floor(start / 4294967296)]]),
      'params',
    );
    await job.dispatch('probe/random_bits.wgsl', {}, [out, params], count);
    return job.readbackU32(out);
  });
}
