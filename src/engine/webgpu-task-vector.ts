/**
 * The WebGPU merger of the task-vector family (methods/task-vector-kernel.ts): plain task vectors, DARE (random masks
 * from the counter hash), TIES and breadcrumbs (exact top-k: two counting passes on the GPU, the selection on the host
 * with methods/rank-window.ts, the masks streamed on the GPU with index tie-breaks), DELLA (exact ranks within rows on
 * the GPU), the optional L1 rescale pass, and sign consensus.
 */
import { boolParam, numberParam, otherIndexes, rowLengthOf } from '../methods/kernel';
import type { MergeJob } from '../methods/kernel';
import { bernoulliThreshold, streamOf } from '../methods/random';
import type { RankWindow } from '../methods/rank-window';
import { getMethod } from '../methods/registry';
import type { TaskVectorConfig, TaskVectorMethod } from '../methods/task-vector-family';
import { dellaProbability, descendingKeys, plainTaskDivisor, rankWindowOf, rescaleFactor } from '../methods/task-vector-kernel';
import { taskVectorL1Op, taskVectorOp, windowHistogramOp } from '../gpu/ops';
import type { TaskVectorModel, TaskVectorSpec, WindowSpec } from '../gpu/ops';
import { BLOCK } from '../gpu/runtime';
import type { FloatDType } from '../io/safetensors/dtype';
import type { BackendMerger, EncodedChunk } from './backend';
import type { Session, SubChunkOptions } from './webgpu-session';
import { addPartials, copyOp, eachSubChunk, elementwiseMerger } from './webgpu-session';

export function taskVectorConfig(method: string): TaskVectorConfig | undefined {
  return (getMethod(method) as Partial<TaskVectorMethod> | undefined)?.taskVector;
}

/**
 * The generalised task-vector merge of methods/task-vector-kernel.ts: plain task vectors, DARE (random masks from the
 * counter hash), TIES and breadcrumbs (exact top-k: two counting passes on the GPU, the selection on the host with
 * methods/rank-window.ts, the masks streamed on the GPU), optional L1 rescale pass, sign consensus.
 */
export function taskVectorMerger(session: Session, config: TaskVectorConfig, job: MergeJob, inputCount: number): BackendMerger {
  const base = job.baseIndex as number;
  const others = otherIndexes(job, inputCount);
  if (others.length === 0) return elementwiseMerger(session, copyOp(base));
  const ranked = others.map((input) => rankWindowOf(config, job.perModel[input] ?? {}, job.numel));
  const della = config.sparsification === 'della_magprune' ? dellaMasks(job, others) : undefined;
  const models: TaskVectorModel[] = others.map((input, m) => {
    const params = job.perModel[input] ?? {};
    const density = numberParam(params, 'density', 1);
    const window = ranked[m];
    const selection = window?.selection();
    const base = { input, stream: streamOf(job.tensor, input), weight: numberParam(params, 'weight'), scale: 1 };
    if (della !== undefined) return { ...base, threshold: 0, keepAll: density >= 1, window: della.ranked[m] === true };
    const threshold = config.sparsification === 'random' && density < 1 ? bernoulliThreshold(density) : undefined;
    // A window that needs no counting keeps everything, or nothing when it is empty (threshold 0 keeps nothing).
    const keepNothing = selection?.empty === true;
    const keepAll = window === undefined ? threshold === undefined : !window.needsPasses && !keepNothing;
    return { ...base, threshold: threshold ?? 0, keepAll, window: window?.needsPasses === true };
  });
  const windowed = della === undefined && models.some((m) => m.window);
  const selectPasses = windowed ? 2 : 0;
  const sparsifies = config.sparsification !== 'none' && models.some((m) => !m.keepAll);
  const rescale = boolParam(job.globals, 'rescale', config.rescale) && sparsifies;
  const seen = new Uint32Array(models.length * 2);
  let windowSpecs: WindowSpec[] = models.map((m) => ({ active: m.window }));
  const spec = (): TaskVectorSpec => ({
    base,
    models,
    seed: job.seed,
    consensus: config.consensus,
    normalize: boolParam(job.globals, 'normalize', config.normalize),
    lambda: numberParam(job.globals, 'lambda', 1),
    plainDivisor: plainTaskDivisor(models.map((m) => m.weight)),
    ...(windowed ? { windows: { specs: windowSpecs, descending: descendingKeys(config), seen } } : {}),
    ...(della !== undefined && della.ranked.some(Boolean) ? { della: { rowLength: della.rowLength, thresholds: della.thresholds } } : {}),
  });
  // Sub-chunks (and, with reductions, chunks) hold whole rows for DELLA and whole blocks for the partial sums.
  const unit = della === undefined ? BLOCK : lcm(della.rowLength, BLOCK);
  const keepSeen = (next: Uint32Array | undefined) => {
    if (next !== undefined) seen.set(next);
  };
  const l1 = new Array<number>(models.length * 2).fill(0);
  const passes = selectPasses + (rescale ? 1 : 0);
  return {
    passes,
    rowLength: passes > 0 ? unit : della?.rowLength,
    reduce: (pass, inputs, start, count) => {
      if (pass < selectPasses) {
        return eachSubChunk(
          session,
          inputs,
          count,
          (runtime, parts, _offset, n) => windowHistogramOp(runtime, parts, n, pass as 0 | 1, spec()),
          (hist) =>
            ranked.forEach((window, m) => {
              if (window?.needsPasses !== true) return;
              if (pass === 0) window.addHighCounts(hist.subarray(m * BINS, (m + 1) * BINS));
              else for (const b of [0, 1] as const) window.addLowCounts(b, hist.subarray((2 * m + b) * BINS, (2 * m + b + 1) * BINS));
            }),
          { unit },
        );
      }
      return eachSubChunk(
        session,
        inputs,
        count,
        (runtime, parts, offset, n) => taskVectorL1Op(runtime, parts, n, start + offset, spec()),
        (result) => {
          addPartials(l1, result.values);
          keepSeen(result.seen);
        },
        { unit, sequential: windowed },
      );
    },
    endPass: (pass) => {
      if (pass < selectPasses) {
        for (const window of ranked) if (window?.needsPasses === true) window.endPass(pass as 0 | 1);
        windowSpecs = ranked.map(windowSpecOf);
      } else {
        models.forEach((m, i) => (m.scale = rescaleFactor(l1[2 * i] as number, l1[2 * i + 1] as number)));
      }
      seen.fill(0);
      return Promise.resolve();
    },
    // With top-k windows each sub-chunk starts from the previous one's running equal-key counts.
    apply: (inputs, start, count, roundTo) => taskVectorOutput(session, inputs, start, count, roundTo, spec, keepSeen, { unit, sequential: windowed }),
    release: () => undefined,
  };
}

const BINS = 65536;

/**
 * DELLA's per-row ranked masks: which models are ranked (0 < density < 1; density ≤ 0 keeps nothing, ≥ 1 everything),
 * and each one's keep threshold by rank — the exact integer form of `uniform < p(rank)`, computed here in f64.
 */
function dellaMasks(job: MergeJob, others: readonly number[]): { rowLength: number; ranked: boolean[]; thresholds: Uint32Array } {
  const rowLength = rowLengthOf(job);
  const thresholds = new Uint32Array(others.length * rowLength);
  const ranked = others.map((input, m) => {
    const params = job.perModel[input] ?? {};
    const density = numberParam(params, 'density', 1);
    if (!(density > 0 && density < 1)) return false;
    const epsilon = numberParam(params, 'epsilon', 0.15);
    for (let r = 0; r < rowLength; r++) thresholds[m * rowLength + r] = bernoulliThreshold(dellaProbability(density, epsilon, r, rowLength)) ?? 0xffffffff;
    return true;
  });
  return { rowLength, ranked, thresholds };
}

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

/** A model's window for the shaders, after pass 0 (buckets) or pass 1 (keys and tie counts). */
/**
 * The output pass of the task-vector family (sce too): each sub-chunk's merged values, with the selection's running
 * equal-key counts handed to `keepSeen` in order.
 */
export async function taskVectorOutput(
  session: Session,
  inputs: readonly EncodedChunk[],
  start: number,
  count: number,
  roundTo: FloatDType,
  spec: () => TaskVectorSpec,
  keepSeen: (seen: Uint32Array | undefined) => void,
  options: SubChunkOptions,
): Promise<Float32Array> {
  const out = new Float32Array(count);
  await eachSubChunk(
    session,
    inputs,
    count,
    (runtime, parts, offset, n) => taskVectorOp(runtime, parts, n, start + offset, spec(), roundTo),
    (result, offset) => {
      out.set(result.values, offset);
      keepSeen(result.seen);
    },
    options,
  );
  return out;
}

export function windowSpecOf(window: RankWindow | undefined): WindowSpec {
  if (window?.needsPasses !== true) return { active: false };
  const [lowerBucket, upperBucket] = window.boundaryBuckets();
  const { lower, upper } = window.selection();
  return {
    active: true,
    lower: lowerBucket === undefined ? undefined : { bucket: lowerBucket, key: lower?.key ?? 0, skip: lower?.skip ?? 0 },
    upper: upperBucket === undefined ? undefined : { bucket: upperBucket, key: upper?.key ?? 0, limit: upper?.limit ?? 0 },
  };
}
