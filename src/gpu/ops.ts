/**
 * The GPU ops, one per shader, each over one sub-chunk of `count` elements (small enough for one binding: see
 * {@link GpuRuntime.subChunkElements}): inputs arrive encoded, are decoded on the GPU into one f32 buffer (input m at
 * m·count), and the result comes back as f32 values already rounded to the output dtype, or as per-block partial sums
 * for the host to add up in f64.
 */
import type { FloatDType } from '../io/safetensors/dtype';
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
    await job.dispatch('slerp_stats.wgsl', {}, [values, partials, params], count);
    return readF32(job, partials);
  });
}

/** One non-base model of a task-vector merge, as the shaders see it. */
export interface TaskVectorModel {
  /** Its index among the inputs. */
  readonly input: number;
  readonly stream: number;
  /** Keep when the element's random bits are below this (ignored when keepAll). */
  readonly threshold: number;
  readonly keepAll: boolean;
  readonly weight: number;
  readonly scale: number;
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

/** b + λ·(combined masked, weighted task vectors), rounded to `outDtype`; `start` is the sub-chunk's first element. */
export function taskVectorOp(
  rt: GpuRuntime,
  inputs: readonly EncodedInput[],
  count: number,
  start: number,
  spec: TaskVectorSpec,
  outDtype: FloatDType,
): Promise<Float32Array> {
  return rt.guard('task_vector', async () => {
    const job = new GpuJob(rt, 'task_vector');
    const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, start);
    const out = job.storage(count * 4, 'output');
    const constants = { MODELS: spec.models.length, OUT_DTYPE: DTYPE_CODE[outDtype], CONSENSUS: spec.consensus, NORMALIZE: spec.normalize };
    await job.dispatch('task_vector.wgsl', constants, [values, models, out, params], count);
    return readF32(job, out);
  });
}

/** Per block and model: Σ|δ| and Σ|δ| over kept elements, as f32 partials ([block][model][2]). */
export function taskVectorL1Op(rt: GpuRuntime, inputs: readonly EncodedInput[], count: number, start: number, spec: TaskVectorSpec): Promise<Float32Array> {
  return rt.guard('task_vector_l1', async () => {
    const job = new GpuJob(rt, 'task_vector_l1');
    const values = await decodeInputs(job, inputs, count);
    const { models, params } = taskVectorBindings(job, spec, count, start);
    const partials = job.storage(Math.ceil(count / BLOCK) * spec.models.length * 2 * 4, 'partials');
    await job.dispatch('task_vector_l1.wgsl', { MODELS: spec.models.length }, [values, models, partials, params], count);
    return readF32(job, partials);
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
