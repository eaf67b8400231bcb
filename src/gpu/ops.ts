/**
 * The GPU ops, one per shader, each over one sub-chunk of `count` elements (small enough for one binding: see
 * {@link GpuRuntime.subChunkElements}): inputs arrive encoded, are decoded on the GPU into one f32 buffer (input m at
 * m·count), and the result comes back as f32 values already rounded to the output dtype, or as per-block partial sums
 * for the host to add up in f64.
 */
import type { FloatDType } from '../io/safetensors/dtype';
import { AppError } from '../shared/errors';
import type { Binding, EncodedInput, GpuRuntime } from './runtime';
import { BLOCK, DTYPE_CODE, GpuJob, uniformBlock } from './runtime';

/** Decodes every input into one f32 buffer, input m at element m·count. */
async function decodeInputs(job: GpuJob, inputs: readonly EncodedInput[], count: number): Promise<Binding> {
  const values = job.storage(Math.max(4, inputs.length * count * 4), 'decoded inputs');
  for (let m = 0; m < inputs.length; m++) {
    const input = inputs[m] as EncodedInput;
    const source = job.upload(input.bytes, `input ${m}`);
    const params = job.uniform(uniformBlock([['u32', count], ['u32', m * count]]), `decode ${m} params`);
    await job.dispatch('decode.wgsl', { SRC_DTYPE: DTYPE_CODE[input.dtype] }, [source, values, params], count);
  }
  return values;
}

async function readF32(job: GpuJob, out: Binding): Promise<Float32Array> {
  return new Float32Array(await job.read(out, out.size));
}

/** Decode and round: the values of `input` as `outDtype` would hold them (bit-exact). */
export function castOp(rt: GpuRuntime, input: EncodedInput, count: number, outDtype: FloatDType): Promise<Float32Array> {
  return rt.guard('cast', async () => {
    const job = new GpuJob(rt, 'cast');
    const source = job.upload(input.bytes, 'input');
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count]]), 'params');
    await job.dispatch('cast.wgsl', { SRC_DTYPE: DTYPE_CODE[input.dtype], OUT_DTYPE: DTYPE_CODE[outDtype] }, [source, out, params], count);
    return readF32(job, out);
  });
}

/** (Σ wₘ·xₘ) / divisor, rounded to `outDtype`. */
export function weightedSumOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  weights: readonly number[],
  divisor: number,
  outDtype: FloatDType,
): Promise<Float32Array> {
  return rt.guard('weighted_sum', async () => {
    const job = new GpuJob(rt, 'weighted_sum');
    const values = await decodeInputs(job, inputs, count);
    const w = job.upload(new Uint8Array(Float32Array.from(weights).buffer), 'weights');
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['f32', divisor]]), 'params');
    await job.dispatch('weighted_sum.wgsl', { INPUTS: inputs.length, OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, w, out, params], count);
    return readF32(job, out);
  });
}

export function nearswapOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  base: number,
  other: number,
  t: number,
  outDtype: FloatDType,
): Promise<Float32Array> {
  return rt.guard('nearswap', async () => {
    const job = new GpuJob(rt, 'nearswap');
    const values = await decodeInputs(job, inputs, count);
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base], ['u32', other], ['f32', t]]), 'params');
    await job.dispatch('nearswap.wgsl', { OUT_DTYPE: DTYPE_CODE[outDtype] }, [values, out, params], count);
    return readF32(job, out);
  });
}

/** Per block of {@link BLOCK} elements: a·a, b·b, a·b as f32 partials (3 per block). */
export function slerpStatsOp(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, base: number, other: number): Promise<Float32Array> {
  return rt.guard('slerp_stats', async () => {
    const job = new GpuJob(rt, 'slerp_stats');
    const values = await decodeInputs(job, inputs, count);
    const partials = job.storage(Math.ceil(count / BLOCK) * 3 * 4, 'partials');
    const params = job.uniform(uniformBlock([['u32', count], ['u32', count], ['u32', base], ['u32', other]]), 'params');
    await job.dispatch('slerp_stats.wgsl', {}, [values, partials, params], Math.ceil(count / BLOCK));
    return readF32(job, partials);
  });
}

/** One non-base model of a task-vector merge, as the shaders see it. */
export interface TaskVectorModel {
  /** Its index among the inputs. */
  readonly input: number;
  readonly stream: number;
  /** Keep when the element's random bits are below this (ignored when keepAll or window). */
  readonly threshold: number;
  readonly keepAll: boolean;
  /** Its mask is an exact top-k selection ({@link WindowSpec}). */
  readonly window: boolean;
  readonly weight: number;
  /** DARE's L1 rescale factor, set after the rescale pass. */
  scale: number;
}

/** One model's top-k window as far as the counting passes have found it (see methods/rank-window.ts). */
export interface WindowSpec {
  readonly active: boolean;
  readonly lower?: { readonly bucket: number; readonly key?: number; readonly skip?: number } | undefined;
  readonly upper?: { readonly bucket: number; readonly key?: number; readonly limit?: number } | undefined;
}

export interface TaskVectorSpec {
  readonly base: number;
  readonly models: readonly TaskVectorModel[];
  readonly seed: number;
  readonly consensus: boolean;
  readonly normalize: boolean;
  readonly lambda: number;
  /** Divisor of the plain (no consensus) normalised sum. */
  readonly plainDivisor: number;
  /** DELLA: masks ranked within rows; `thresholds[m·rowLength + rank]` is model m's keep threshold at that rank. */
  readonly della?: { readonly rowLength: number; readonly thresholds: Uint32Array };
  /** The models' windows, when some model's mask is a top-k selection. */
  readonly windows?: {
    readonly specs: readonly WindowSpec[];
    /** Rank keys by descending magnitude (TIES) or ascending (breadcrumbs). */
    readonly descending: boolean;
    /** Per model and boundary (2m + b): equal-key elements seen before this sub-chunk. */
    readonly seen: Uint32Array;
  };
}

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

function windowBinding(job: GpuJob, specs: readonly WindowSpec[]): Binding {
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
async function encodeMasks(job: GpuJob, values: Binding, models: Binding, params: Binding, spec: TaskVectorSpec, count: number): Promise<{ masks: Binding; totals: Binding | undefined }> {
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
  const constants = { MODELS: n, DESCENDING: windows.descending };
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

/** The output of a task-vector kernel and, with windows, the new running equal-key counts. */
export interface TaskVectorResult {
  readonly values: Float32Array;
  readonly seen: Uint32Array | undefined;
}

async function readWithTotals(job: GpuJob, out: Binding, totals: Binding | undefined): Promise<TaskVectorResult> {
  const [values, seen] = await job.readAll(totals === undefined ? [out] : [out, totals]);
  return { values: new Float32Array(values as ArrayBuffer), seen: seen === undefined ? undefined : new Uint32Array(seen) };
}

/** b + λ·(combined masked, weighted task vectors), rounded to `outDtype`; `start` is the sub-chunk's first element. */
export function taskVectorOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  start: number,
  spec: TaskVectorSpec,
  outDtype: FloatDType,
): Promise<TaskVectorResult> {
  return rt.guard('task_vector', async () => {
    const job = new GpuJob(rt, 'task_vector');
    const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, start);
    const { masks, totals } = await encodeMasks(job, values, models, params, spec, count);
    const out = job.storage(count * 4, 'output');
    const constants = { MODELS: spec.models.length, OUT_DTYPE: DTYPE_CODE[outDtype], CONSENSUS: spec.consensus, NORMALIZE: spec.normalize };
    await job.dispatch('task_vector.wgsl', constants, [values, models, out, params, masks], count);
    return readWithTotals(job, out, totals);
  });
}

/** Per block and model: Σ|δ| and Σ|δ| over kept elements, as f32 partials ([block][model][2]). */
export function taskVectorL1Op(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, start: number, spec: TaskVectorSpec): Promise<TaskVectorResult> {
  return rt.guard('task_vector_l1', async () => {
    const job = new GpuJob(rt, 'task_vector_l1');
    const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, start);
    const { masks, totals } = await encodeMasks(job, values, models, params, spec, count);
    const partials = job.storage(Math.ceil(count / BLOCK) * spec.models.length * 2 * 4, 'partials');
    await job.dispatch('task_vector_l1.wgsl', { MODELS: spec.models.length }, [values, models, partials, params, masks], Math.ceil(count / BLOCK));
    return readWithTotals(job, partials, totals);
  });
}

/**
 * A counting pass of the top-k selection over a sub-chunk: pass 0 returns per model a 65,536-bin histogram of the rank
 * keys' high 16 bits; pass 1 per model and boundary (2m + b) the histogram of low 16 bits inside the boundary bucket.
 */
export function windowHistogramOp(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, pass: 0 | 1, spec: TaskVectorSpec): Promise<Uint32Array> {
  return rt.guard('window_histogram', async () => {
    const windows = spec.windows;
    if (windows === undefined) throw new AppError('E_INTERNAL', 'window_histogram needs the models\' windows.');
    const job = new GpuJob(rt, 'window_histogram');
    const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, 0);
    const n = spec.models.length;
    const hist = job.storage(n * (pass === 0 ? 1 : 2) * 65536 * 4, `histogram ${pass}`);
    job.clear(hist);
    const constants = { MODELS: n, LOW: pass === 1, DESCENDING: windows.descending };
    await job.dispatch('window_histogram.wgsl', constants, [values, models, windowBinding(job, windows.specs), params, hist], count);
    return new Uint32Array(await job.read(hist, hist.size));
  });
}

/** The counter hash of elements [start, start + count) of one stream (a probe for tests). */
export function randomBitsOp(rt: GpuRuntime, seed: number, stream: number, start: number, count: number): Promise<Uint32Array> {
  return rt.guard('random_bits', async () => {
    const job = new GpuJob(rt, 'random_bits');
    const out = job.storage(count * 4, 'output');
    const params = job.uniform(
      uniformBlock([['u32', count], ['u32', seed], ['u32', stream], ['u32', start % 4294967296], ['u32', Math.floor(start / 4294967296)]]),
      'params',
    );
    await job.dispatch('probe/random_bits.wgsl', {}, [out, params], count);
    return new Uint32Array(await job.read(out, out.size));
  });
}

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
