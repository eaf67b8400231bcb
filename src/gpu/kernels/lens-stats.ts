/** lens_stats.wgsl: per-block f32 partials of the weight lens's sums over two encoded inputs. */
import type { EncodedInput, GpuRuntime, Readback } from '../runtime';
import { BLOCK, uniformBlock } from '../runtime';
import { bindEncoded } from './encoded';

/** Statistics per block, in this order (the fields of methods/lens-stats.ts's LensSums, less `elements`). */
export const LENS_STATS = ['aa', 'bb', 'ab', 'dd', 'squaresGap', 'swapped', 'weightSum'] as const;

/**
 * The largest f32 at most `t` when t ≥ 1e-6, else −1: for an f32 difference m, `m ≤ limit` exactly when NearSwap's
 * w = clamp(t / max(m, 1e-6), 0, 1) is 1 in f64 (t / max(m, 1e-6) ≥ 1 ⇔ t ≥ max(m, 1e-6), division being monotone
 * and correctly rounded), so the GPU counts swapped elements as the CPU does.
 */
export function swapLimit(t: number): number {
  if (!(t >= 1e-6)) return -1;
  const f = Math.fround(t);
  if (f <= t) return f;
  const bits = new Uint32Array(new Float32Array([f]).buffer);
  bits[0] = (bits[0] as number) - 1;
  return new Float32Array(bits.buffer)[0] as number;
}

/** Per block of {@link BLOCK} elements of `a` and `b`: the {@link LENS_STATS} as f32 partials (7 per block); `t` adds NearSwap's share. */
export function lensStatsOp(rt: GpuRuntime, a: EncodedInput, b: EncodedInput, count: number, t: number | undefined): Promise<Readback<Float32Array>> {
  return rt.submit('lens_stats', async (job) => {
    const { bindings, constants } = bindEncoded(job, a, b);
    const blocks = Math.ceil(count / BLOCK);
    const partials = job.storage(blocks * LENS_STATS.length * 4, 'partials');
    const params = job.uniform(
      uniformBlock([
        ['u32', count],
        ['u32', t === undefined ? 0 : 1],
        ['f32', t ?? 0],
        ['f32', t === undefined ? -1 : swapLimit(t)],
      ]),
      'params',
    );
    await job.dispatch('lens_stats.wgsl', constants, [...bindings, partials, params], blocks);
    return job.readbackF32(partials);
  });
}
