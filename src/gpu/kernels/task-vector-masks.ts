/**
 * The keep masks that are not a per-element hash: exact top-k windows (window_equal_count.wgsl, window_scan.wgsl,
 * window_mask.wgsl: index tie-breaks across sub-chunks through running equal-key counts) and DELLA's ranks within rows
 * (della_mask.wgsl).
 */
import type { Binding } from '../runtime';
import { BLOCK, uniformBlock } from '../runtime';
import type { GpuJob } from '../runtime';
import type { TaskVectorSpec, WindowSpec } from './task-vector-spec';

export function windowBinding(job: GpuJob, specs: readonly WindowSpec[]): Binding {
  const data = new Uint32Array(specs.length * 12);
  specs.forEach((w, m) => {
    data.set(
      [
        w.active ? 1 : 0,
        w.lower === undefined ? 0 : 1,
        w.upper === undefined ? 0 : 1,
        0,
        w.lower?.bucket ?? 0,
        w.upper?.bucket ?? 0,
        w.lower?.key ?? 0,
        w.upper?.key ?? 0,
        w.lower?.skip ?? 0,
        w.upper?.limit ?? 0,
      ],
      m * 12,
    );
  });
  return job.upload(new Uint8Array(data.buffer), 'windows');
}

/**
 * Encodes the top-k masks of a sub-chunk: equal-key counts per block, their prefix from the host's running counts, then
 * the masks. Returns the masks binding and the new running counts (to read back), or a dummy binding without windows.
 */
export async function encodeMasks(job: GpuJob, values: Binding, models: Binding, params: Binding, spec: TaskVectorSpec, count: number): Promise<{ masks: Binding; totals: Binding | undefined }> {
  const della = spec.della;
  if (della !== undefined) {
    const thresholds = job.upload(new Uint8Array(della.thresholds.buffer, della.thresholds.byteOffset, della.thresholds.byteLength), 'thresholds');
    const masks = job.storage(spec.models.length * count * 4, 'masks');
    const rows = Math.ceil(count / della.rowLength);
    await job.dispatch('della_mask.wgsl', { MODELS: spec.models.length, ROW_LENGTH: della.rowLength }, [values, models, params, thresholds, masks], rows * BLOCK);
    return { masks, totals: undefined };
  }
  const windows = spec.windows;
  if (windows === undefined) return { masks: job.storage(4, 'no masks'), totals: undefined };
  const n = spec.models.length;
  const constants = { MODELS: n, DESCENDING: windows.descending, ...sceConstant(spec, 'RANK_VARIANCE') };
  const windowData = windowBinding(job, windows.specs);
  const blocks = Math.ceil(count / BLOCK);
  const counts = job.storage(blocks * n * 2 * 4, 'equal-key counts');
  await job.dispatch('window_equal_count.wgsl', constants, [values, models, windowData, params, counts], blocks);
  const seen = job.upload(new Uint8Array(windows.seen.buffer, windows.seen.byteOffset, n * 2 * 4), 'seen');
  const totals = job.storage(n * 2 * 4, 'equal-key totals');
  const scanParams = job.uniform(uniformBlock([['u32', blocks], ['u32', n * 2]]), 'scan params');
  await job.dispatchGroups('window_scan.wgsl', {}, [counts, seen, totals, scanParams], Math.ceil((n * 2) / 64));
  const masks = job.storage(n * count * 4, 'masks');
  await job.dispatch('window_mask.wgsl', constants, [values, models, windowData, params, counts, masks], blocks);
  return { masks, totals };
}

/** The override constant that switches a task-vector shader to SCE, set only for SCE (pipelines stay shared). */
export function sceConstant(spec: TaskVectorSpec, name: 'SCE' | 'SQUARES' | 'RANK_VARIANCE'): Record<string, boolean> {
  return spec.sce === true ? { [name]: true } : {};
}
