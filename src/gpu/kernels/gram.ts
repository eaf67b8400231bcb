/** gram.wgsl: per-block f32 partials of the members' Gram matrix, for karcher, model_stock, multislerp, nuslerp. */
import type { EncodedInput, GpuRuntime } from '../runtime';
import { BLOCK, GpuJob, uniformBlock } from '../runtime';
import { decodeInputs, readF32 } from './inputs';

/** Per block: the upper triangle of the members' Gram matrix (vᵢ = x_members[i], minus the base if given), f32 partials. */
export function gramOp(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, members: readonly number[], base: number | undefined): Promise<Float32Array> {
  return rt.guard('gram', async () => {
    const job = new GpuJob(rt, 'gram');
    const values = await decodeInputs(job, inputs, count);
    const memberList = job.upload(new Uint8Array(Uint32Array.from(members).buffer), 'members');
    const pairs = (members.length * (members.length + 1)) / 2;
    const partials = job.storage(Math.ceil(count / BLOCK) * pairs * 4, 'partials');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base ?? 0]]), 'params');
    await job.dispatch('gram.wgsl', { MEMBERS: members.length, HAS_BASE: base !== undefined }, [values, memberList, partials, params], Math.ceil(count / BLOCK));
    return readF32(job, partials);
  });
}
