/**
 * The WebGPU backend: each output tensor's merge runs on the GPU chunk by chunk — encoded inputs are uploaded and
 * decoded on the GPU, the method's kernel runs, and f32 values already rounded to the output dtype come back.
 * Reductions come back as per-block f32 partials that are added in f64 on the host in block order (mergers that reduce
 * declare `rowLength` = one block, so blocks never straddle chunks and statistics do not depend on the chunk size).
 *
 * GPU-native: see {@link GPU_NATIVE_METHODS} and {@link runsOnGpu}. Every other case runs the CPU kernel inside this
 * backend, so every method works.
 *
 * Chunks larger than one storage binding are cut into sub-chunks (a multiple of a block). The GPU keeps no state between
 * chunks, so when the device is lost the backend (unless told not to) opens a new device and redoes the chunk; a second
 * loss in a row is reported as E_DEVICE_LOST.
 */
import type { FloatDType } from '../io/safetensors/dtype';
import { boolParam, numberParam, otherIndexes, rowLengthOf } from '../methods/kernel';
import type { MergeJob } from '../methods/kernel';
import { KERNELS } from '../methods/kernels';
import { bernoulliThreshold, streamOf } from '../methods/random';
import { Gram } from '../methods/gram';
import { karcherCoefficients } from '../methods/karcher';
import { modelStockRatio } from '../methods/model_stock';
import { multislerpCoefficients } from '../methods/multislerp';
import { nuslerpCoefficients, nuslerpFlat, nuslerpT } from '../methods/nuslerp';
import { getMethod } from '../methods/registry';
import { slerpCoefficients } from '../methods/slerp';
import type { TaskVectorConfig, TaskVectorMethod } from '../methods/task-vector-family';
import type { RankWindow } from '../methods/rank-window';
import { dellaProbability, descendingKeys, plainTaskDivisor, rankWindowOf, rescaleFactor } from '../methods/task-vector-kernel';
import { castOp, gramOp, nearswapOp, slerpStatsOp, taskVectorL1Op, taskVectorOp, weightedSumOp, windowHistogramOp } from '../gpu/ops';
import type { TaskVectorModel, TaskVectorSpec, WindowSpec } from '../gpu/ops';
import { BLOCK, GpuRuntime } from '../gpu/runtime';
import type { EncodedInput, RuntimeOptions } from '../gpu/runtime';
import type { ShaderLibrary } from '../gpu/shader-library';
import { AppError, isAppError } from '../shared/errors';
import type { Backend, BackendMerger, EncodedChunk } from './backend';
import { cpuMerger } from './cpu-merger';

/**
 * Methods with a GPU kernel. Exceptions that run the CPU kernel: model_stock with filter_wise, nuslerp row- or
 * column-wise (see {@link runsOnGpu}); sce is CPU only.
 */
export const GPU_NATIVE_METHODS = [
  'passthrough',
  'linear',
  'task_arithmetic',
  'nearswap',
  'slerp',
  'dare_linear',
  'dare_ties',
  'ties',
  'breadcrumbs',
  'breadcrumbs_ties',
  'della',
  'della_linear',
  'karcher',
  'model_stock',
  'multislerp',
  'nuslerp',
] as const;

export interface WebGpuBackendOptions extends RuntimeOptions {
  /** Re-create the device and redo the chunk after a device loss (default true). */
  readonly recoverFromLoss?: boolean;
}

export interface WebGpuBackend extends Backend {
  readonly kind: 'webgpu';
  /** How many device losses the backend recovered from. */
  readonly recoveries: number;
  /**
   * The adapter is a software fallback (SwiftShader): merges are correct but slower than the CPU backend (measured:
   * slerp 15 vs 34 MB/s, nearswap 19 vs 60 MB/s), so automatic backend selection should prefer the CPU.
   */
  readonly software: boolean;
}

/** Whether `method` runs on the GPU for this job (else the CPU kernel runs inside the backend). */
export function runsOnGpu(method: string, job: MergeJob): boolean {
  if (!(GPU_NATIVE_METHODS as readonly string[]).includes(method)) return false;
  if (method === 'model_stock') return !boolParam(job.globals, 'filter_wise', false);
  if (method === 'nuslerp') return nuslerpFlat(job);
  return true;
}

export async function createWebGpuBackend(gpu: GPU, shaders: ShaderLibrary, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const session = new Session(gpu, shaders, options, await GpuRuntime.open(gpu, shaders, options));
  return {
    kind: 'webgpu',
    get label() {
      return `WebGPU: ${session.runtime.label}${session.runtime.isFallbackAdapter ? ' (software fallback adapter)' : ''}`;
    },
    get recoveries() {
      return session.recoveries;
    },
    get software() {
      return session.runtime.isFallbackAdapter;
    },
    createMerger: async (method, job, inputCount) => {
      const kernel = KERNELS[method];
      if (kernel === undefined) throw new AppError('E_UNKNOWN_METHOD', `No kernel for merge method ${method}.`, { context: { tensor: job.tensor } });
      try {
        // The CPU kernel validates the job (and raises the same errors) on both paths.
        const reference = cpuMerger(kernel, job, inputCount);
        return runsOnGpu(method, job) ? gpuMerger(session, method, job, inputCount) : reference;
      } catch (error) {
        throw error instanceof AppError ? error.withContext({ tensor: job.tensor }) : error;
      }
    },
    dispose: () => {
      session.dispose();
      return Promise.resolve();
    },
  };
}

/**
 * The current device, re-opened after a loss. GPU work runs one sub-chunk at a time, in call order, even when the
 * engine calls several mergers at once (error scopes are a per-device stack and must not interleave).
 */
class Session {
  recoveries = 0;
  private disposed = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly gpu: GPU,
    private readonly shaders: ShaderLibrary,
    private readonly options: WebGpuBackendOptions,
    public runtime: GpuRuntime,
  ) {}

  run<T>(work: (runtime: GpuRuntime) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.attempt(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async attempt<T>(work: (runtime: GpuRuntime) => Promise<T>): Promise<T> {
    if (this.disposed) throw new AppError('E_INTERNAL', 'The WebGPU backend was disposed.');
    try {
      return await work(this.runtime);
    } catch (error) {
      if (!isAppError(error, 'E_DEVICE_LOST') || this.disposed || this.options.recoverFromLoss === false) throw error;
      this.runtime.pool.destroy();
      this.runtime = await GpuRuntime.open(this.gpu, this.shaders, this.options);
      this.recoveries += 1;
      return work(this.runtime);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.runtime.destroy();
  }
}

const bytesPerElement = (dtype: FloatDType) => (dtype === 'F32' ? 4 : 2);

/** Elements [from, from + count) of an encoded chunk. */
function slice(input: EncodedChunk, from: number, count: number): EncodedInput {
  const size = bytesPerElement(input.dtype);
  return { dtype: input.dtype, bytes: input.bytes.subarray(from * size, (from + count) * size) };
}

/** Runs `step` on each sub-chunk small enough for one binding of `arrays` f32 arrays, in element order. */
async function eachSubChunk(
  session: Session,
  inputs: readonly EncodedChunk[],
  count: number,
  step: (runtime: GpuRuntime, parts: EncodedInput[], offset: number, n: number) => Promise<void>,
  unit = BLOCK,
): Promise<void> {
  const size = Math.max(unit, Math.floor(session.runtime.subChunkElements(inputs.length) / unit) * unit);
  for (let offset = 0; offset < count; offset += size) {
    const n = Math.min(size, count - offset);
    const parts = inputs.map((input) => slice(input, offset, n));
    await session.run((runtime) => step(runtime, parts, offset, n));
  }
}

type ApplyOp = (runtime: GpuRuntime, parts: EncodedInput[], start: number, n: number, roundTo: FloatDType) => Promise<Float32Array>;

/** `apply` over sub-chunks, gathering the output. */
async function applyBySubChunks(session: Session, op: ApplyOp, inputs: readonly EncodedChunk[], start: number, count: number, roundTo: FloatDType): Promise<Float32Array> {
  const out = new Float32Array(count);
  await eachSubChunk(session, inputs, count, async (runtime, parts, offset, n) => {
    out.set(await op(runtime, parts, start + offset, n, roundTo), offset);
  });
  return out;
}

function elementwiseMerger(session: Session, op: ApplyOp): BackendMerger {
  return {
    passes: 0,
    rowLength: undefined,
    reduce: () => Promise.resolve(),
    endPass: () => Promise.resolve(),
    apply: (inputs, start, count, roundTo) => applyBySubChunks(session, op, inputs, start, count, roundTo),
    release: () => undefined,
  };
}

/** Input `index` unchanged (decoded and rounded). */
function copyOp(index: number): ApplyOp {
  return (runtime, parts, _start, n, roundTo) => castOp(runtime, parts[index] as EncodedInput, n, roundTo);
}

function gpuMerger(session: Session, method: string, job: MergeJob, inputCount: number): BackendMerger {
  const config = taskVectorConfig(method);
  if (config !== undefined) return taskVectorMerger(session, config, job, inputCount);
  switch (method) {
    case 'passthrough': {
      const scale = numberParam(job.perModel[0] ?? {}, 'scale', 1);
      if (scale === 1) return elementwiseMerger(session, copyOp(0));
      return elementwiseMerger(session, (runtime, parts, _start, n, roundTo) => weightedSumOp(runtime, parts, n, [scale], 1, roundTo));
    }
    case 'linear': {
      const weights = Array.from({ length: inputCount }, (_, i) => numberParam(job.perModel[i] ?? {}, 'weight'));
      const divisor = boolParam(job.globals, 'normalize', true) ? weights.reduce((a, b) => a + b, 0) : 1;
      return elementwiseMerger(session, (runtime, parts, _start, n, roundTo) => weightedSumOp(runtime, parts, n, weights, divisor, roundTo));
    }
    case 'nearswap': {
      const base = job.baseIndex ?? 0;
      const other = otherIndexes(job, inputCount)[0];
      if (other === undefined) return elementwiseMerger(session, copyOp(base));
      const t = numberParam(job.globals, 't');
      return elementwiseMerger(session, (runtime, parts, _start, n, roundTo) => nearswapOp(runtime, parts, n, base, other, t, roundTo));
    }
    case 'slerp':
      return slerpMerger(session, job, inputCount);
    case 'karcher': {
      if (inputCount < 2) return elementwiseMerger(session, copyOp(0));
      const all = Array.from({ length: inputCount }, (_, i) => i);
      const maxIter = numberParam(job.globals, 'max_iter', 10);
      const tol = numberParam(job.globals, 'tol', 1e-5);
      return gramMerger(session, all, undefined, (gram) => Array.from(karcherCoefficients(gram, maxIter, tol)));
    }
    case 'model_stock': {
      const base = job.baseIndex ?? 0;
      const others = otherIndexes(job, inputCount);
      if (others.length === 0) return elementwiseMerger(session, copyOp(base));
      return gramMerger(session, others, base, (gram) => {
        const t = modelStockRatio(gram);
        const weights = new Array<number>(inputCount).fill(0);
        for (const m of others) weights[m] = t / others.length;
        weights[base] = 1 - t;
        return weights;
      });
    }
    case 'multislerp':
    case 'nuslerp': {
      const others = otherIndexes(job, inputCount);
      if (others.length < 2) return elementwiseMerger(session, copyOp(others[0] ?? job.baseIndex ?? 0));
      const members = method === 'nuslerp' ? others.slice(0, 2) : others;
      return gramMerger(session, members, job.baseIndex, (gram) => {
        const c = method === 'nuslerp' ? nuslerpCoefficients(nuslerpT(job, members[0] as number, members[1] as number), gram.get(0, 0), gram.get(1, 1), gram.get(0, 1)) : multislerpCoefficients(job, members, gram);
        return offsetWeights(inputCount, members, c, job.baseIndex);
      });
    }
    default:
      throw new AppError('E_INTERNAL', `${method} has no GPU merger.`);
  }
}

/** One reduction pass for ‖a‖², ‖b‖², a·b (f32 per block, f64 across blocks), then a weighted sum. */
function slerpMerger(session: Session, job: MergeJob, inputCount: number): BackendMerger {
  const a = job.baseIndex ?? 0;
  const b = otherIndexes(job, inputCount)[0];
  if (b === undefined) return elementwiseMerger(session, copyOp(a));
  const t = numberParam(job.globals, 't');
  const sums = [0, 0, 0];
  const weights = new Array<number>(inputCount).fill(0);
  return {
    passes: 1,
    rowLength: BLOCK,
    reduce: (_pass, inputs, _start, count) =>
      eachSubChunk(session, inputs, count, async (runtime, parts, _offset, n) => {
        addPartials(sums, await slerpStatsOp(runtime, parts, n, a, b));
      }),
    endPass: () => {
      [weights[a], weights[b]] = slerpCoefficients(sums[0] as number, sums[1] as number, sums[2] as number, t);
      return Promise.resolve();
    },
    apply: (inputs, start, count, roundTo) =>
      applyBySubChunks(session, (runtime, parts, _start, n, round) => weightedSumOp(runtime, parts, n, weights, 1, round), inputs, start, count, roundTo),
    release: () => undefined,
  };
}

/** Weights over all inputs of y = b + Σ cᵢ(x_{members[i]} − b) (or Σ cᵢx_{members[i]} without a base). */
function offsetWeights(inputCount: number, members: readonly number[], c: readonly number[], base: number | undefined): number[] {
  const weights = new Array<number>(inputCount).fill(0);
  members.forEach((m, i) => (weights[m] = c[i] as number));
  if (base !== undefined) weights[base] = 1 - c.reduce((sum, v) => sum + v, 0);
  return weights;
}

/**
 * The Gram methods: one pass for the Gram matrix of the members (offsets from the base when given) — f32 per block on
 * the GPU, f64 across blocks — then the method's host math turns it into weights over the inputs for a weighted sum.
 */
function gramMerger(session: Session, members: readonly number[], base: number | undefined, weightsOf: (gram: Gram) => number[]): BackendMerger {
  const k = members.length;
  const triangle = new Array<number>((k * (k + 1)) / 2).fill(0);
  let weights: number[] = [];
  return {
    passes: 1,
    rowLength: BLOCK,
    reduce: (_pass, inputs, _start, count) =>
      eachSubChunk(session, inputs, count, async (runtime, parts, _offset, n) => {
        addPartials(triangle, await gramOp(runtime, parts, n, members, base));
      }),
    endPass: () => {
      const gram = new Gram(k);
      let at = 0;
      for (let i = 0; i < k; i++) for (let j = i; j < k; j++) gram.values[i * k + j] = triangle[at++] as number;
      weights = weightsOf(gram);
      return Promise.resolve();
    },
    apply: (inputs, start, count, roundTo) =>
      applyBySubChunks(session, (runtime, parts, _start, n, round) => weightedSumOp(runtime, parts, n, weights, 1, round), inputs, start, count, roundTo),
    release: () => undefined,
  };
}

/** Adds interleaved per-block partials ([block][k], k < sums.length) into `sums` in f64, block by block in order. */
function addPartials(sums: number[], partials: Float32Array): void {
  const k = sums.length;
  for (let block = 0; block < partials.length; block += k) {
    for (let j = 0; j < k; j++) sums[j] = (sums[j] as number) + (partials[block + j] as number);
  }
}

function taskVectorConfig(method: string): TaskVectorConfig | undefined {
  return (getMethod(method) as Partial<TaskVectorMethod> | undefined)?.taskVector;
}

/**
 * The generalised task-vector merge of methods/task-vector-kernel.ts: plain task vectors, DARE (random masks from the
 * counter hash), TIES and breadcrumbs (exact top-k: two counting passes on the GPU, the selection on the host with
 * methods/rank-window.ts, the masks streamed on the GPU), optional L1 rescale pass, sign consensus.
 */
function taskVectorMerger(session: Session, config: TaskVectorConfig, job: MergeJob, inputCount: number): BackendMerger {
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
    reduce: (pass, inputs, start, count) =>
      eachSubChunk(session, inputs, count, async (runtime, parts, offset, n) => {
        if (pass < selectPasses) {
          const hist = await windowHistogramOp(runtime, parts, n, pass as 0 | 1, spec());
          ranked.forEach((window, m) => {
            if (window?.needsPasses !== true) return;
            if (pass === 0) window.addHighCounts(hist.subarray(m * BINS, (m + 1) * BINS));
            else for (const b of [0, 1] as const) window.addLowCounts(b, hist.subarray((2 * m + b) * BINS, (2 * m + b + 1) * BINS));
          });
          return;
        }
        const result = await taskVectorL1Op(runtime, parts, n, start + offset, spec());
        addPartials(l1, result.values);
        keepSeen(result.seen);
      }, unit),
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
    apply: async (inputs, start, count, roundTo) => {
      const out = new Float32Array(count);
      await eachSubChunk(session, inputs, count, async (runtime, parts, offset, n) => {
        const result = await taskVectorOp(runtime, parts, n, start + offset, spec(), roundTo);
        out.set(result.values, offset);
        keepSeen(result.seen);
      }, unit);
      return out;
    },
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
function windowSpecOf(window: RankWindow | undefined): WindowSpec {
  if (window?.needsPasses !== true) return { active: false };
  const [lowerBucket, upperBucket] = window.boundaryBuckets();
  const { lower, upper } = window.selection();
  return {
    active: true,
    lower: lowerBucket === undefined ? undefined : { bucket: lowerBucket, key: lower?.key ?? 0, skip: lower?.skip ?? 0 },
    upper: upperBucket === undefined ? undefined : { bucket: upperBucket, key: upper?.key ?? 0, limit: upper?.limit ?? 0 },
  };
}
