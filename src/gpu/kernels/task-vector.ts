/**
 * The task-vector kernels: task_vector.wgsl (the merge), task_vector_l1.wgsl (DARE's rescale norms) and
 * window_histogram.wgsl (the counting passes of the exact top-k), with their masks from task-vector-masks.ts.
 */
import type { FloatDType } from '../../io/safetensors/dtype';
import { AppError } from '../../shared/errors';
import type { Binding, EncodedInput, GpuJob, GpuRuntime, Readback } from '../runtime';
import { BLOCK, DTYPE_CODE, uniformBlock } from '../runtime';
import { decodeInputs } from './inputs';
import { encodeMasks, sceConstant, windowBinding } from './task-vector-masks';
import type { TaskVectorSpec } from './task-vector-spec';

function taskVectorBindings(job: GpuJob, spec: TaskVectorSpec, count: number, start: number): { models: Binding; params: Binding } {
  const modelData = new ArrayBuffer(spec.models.length * 32);
  const view = new DataView(modelData);
  spec.models.forEach((m, i) => {
    view.setUint32(i * 32, m.input, true);
    view.setUint32(i * 32 + 4, m.stream >>> 0, true);
    view.setUint32(i * 32 + 8, m.threshold >>> 0, true);
    view.setUint32(i * 32 + 12, m.keepAll ? 1 : 0, true);
    view.setFloat32(i * 32 + 16, m.weight, true);
    view.setFloat32(i * 32 + 20, m.scale, true);
    view.setUint32(i * 32 + 24, m.window ? 1 : 0, true);
  });
  const models = job.upload(new Uint8Array(modelData), 'models');
  const params = job.uniform(
    uniformBlock([
      ['u32', count],
      ['u32', count],
      ['u32', spec.base],
      ['u32', spec.seed],
      ['u32', start % 4294967296],
      ['u32', Math.floor(start / 4294967296)],
      ['f32', spec.lambda],
      ['f32', spec.plainDivisor],
    ]),
    'params',
  );
  return { models, params };
}

/** The output of a task-vector kernel and, with windows, the new running equal-key counts. */
export interface TaskVectorResult {
  readonly values: Float32Array;
  readonly seen: Uint32Array | undefined;
}

function readWithTotals(job: GpuJob, out: Binding, totals: Binding | undefined): Readback<TaskVectorResult> {
  const read = job.readback(totals === undefined ? [out] : [out, totals]);
  return async () => {
    const [values, seen] = await read();
    return { values: new Float32Array(values as ArrayBuffer), seen: seen === undefined ? undefined : new Uint32Array(seen) };
  };
}

/** b + λ·(combined masked, weighted task vectors), rounded to `outDtype`; `start` is the sub-chunk's first element. */
export function taskVectorOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  start: number,
  spec: TaskVectorSpec,
  outDtype: FloatDType,
): Promise<Readback<TaskVectorResult>> {
  return rt.submit('task_vector', async (job) => {
        const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, start);
    const { masks, totals } = await encodeMasks(job, values, models, params, spec, count);
    const out = job.storage(count * 4, 'output');
    const constants = { MODELS: spec.models.length, OUT_DTYPE: DTYPE_CODE[outDtype], CONSENSUS: spec.consensus, NORMALIZE: spec.normalize, ...sceConstant(spec, 'SCE') };
    await job.dispatch('task_vector.wgsl', constants, [values, models, out, params, masks], count);
    return readWithTotals(job, out, totals);
  });
}

/** Per block and model: Σ|δ| and Σ|δ| over kept elements (Σδ² for SCE), as f32 partials ([block][model][2]). */
export function taskVectorL1Op(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, start: number, spec: TaskVectorSpec): Promise<Readback<TaskVectorResult>> {
  return rt.submit('task_vector_l1', async (job) => {
        const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, start);
    const { masks, totals } = await encodeMasks(job, values, models, params, spec, count);
    const partials = job.storage(Math.ceil(count / BLOCK) * spec.models.length * 2 * 4, 'partials');
    await job.dispatch('task_vector_l1.wgsl', { MODELS: spec.models.length, ...sceConstant(spec, 'SQUARES') }, [values, models, partials, params, masks], Math.ceil(count / BLOCK));
    return readWithTotals(job, partials, totals);
  });
}

/**
 * A counting pass of the top-k selection over a sub-chunk: pass 0 returns per model a 65,536-bin histogram of the rank
 * keys' high 16 bits; pass 1 per model and boundary (2m + b) the histogram of low 16 bits inside the boundary bucket.
 */
export function windowHistogramOp(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, pass: 0 | 1, spec: TaskVectorSpec): Promise<Readback<Uint32Array>> {
  return rt.submit('window_histogram', async (job) => {
    const windows = spec.windows;
    if (windows === undefined) throw new AppError('E_INTERNAL', 'window_histogram needs the models\' windows.');
    const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, 0);
    const n = spec.models.length;
    const hist = job.storage(n * (pass === 0 ? 1 : 2) * 65536 * 4, `histogram ${pass}`);
    job.clear(hist);
    const constants = { MODELS: n, LOW: pass === 1, DESCENDING: windows.descending, ...sceConstant(spec, 'RANK_VARIANCE') };
    await job.dispatch('window_histogram.wgsl', constants, [values, models, windowBinding(job, windows.specs), params, hist], count);
    return job.readbackU32(hist);
  });
}

/**
 * Per block of a sub-chunk, per model and boundary ([block][model][2]): how many elements have a rank key equal to the
 * window's boundary key (window_equal_count.wgsl) — SCE counts its zero variances this way.
 */
export function equalKeyCountsOp(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, spec: TaskVectorSpec): Promise<Readback<Uint32Array>> {
  return rt.submit('window_equal_count', async (job) => {
    const windows = spec.windows;
    if (windows === undefined) throw new AppError('E_INTERNAL', 'window_equal_count needs the models\' windows.');
    const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, 0);
    const n = spec.models.length;
    const counts = job.storage(Math.ceil(count / BLOCK) * n * 2 * 4, 'equal-key counts');
    const constants = { MODELS: n, DESCENDING: windows.descending, ...sceConstant(spec, 'RANK_VARIANCE') };
    await job.dispatch('window_equal_count.wgsl', constants, [values, models, windowBinding(job, windows.specs), params, counts], Math.ceil(count / BLOCK));
    return job.readbackU32(counts);
  });
}
