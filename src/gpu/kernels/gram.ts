/** gram.wgsl: per-block f32 partials of the members' Gram matrix, for karcher, model_stock, multislerp, nuslerp. */
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { BLOCK, uniformBlock } from '../runtime';
import { decodeInputs } from './inputs';

/** Per block: the upper triangle of the members' Gram matrix (vᵢ = x_members[i], minus the base if given), f32 partials. */
export function gramOp(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, members: readonly number[], base: number | undefined): Promise<Readback<Float32Array>> {
  return rt.submit('gram', async (job) => {
        const values = await decodeInputs(job, inputs, count);
    const memberList = job.upload(new Uint8Array(Uint32Array.from(members).buffer), 'members');
    const pairs = (members.length * (members.length + 1)) / 2;
    const partials = job.storage(Math.ceil(count / BLOCK) * pairs * 4, 'partials');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base ?? 0]]), 'params');
    await job.dispatch('gram.wgsl', { MEMBERS: members.length, HAS_BASE: base !== undefined }, [values, memberList, partials, params], Math.ceil(count / BLOCK));
    return job.readbackF32(partials);
  });
}
