/**
 * WebGPU mergers with one reduction pass and a weighted-sum output: slerp (‖a‖², ‖b‖², a·b) and the Gram methods
 * (karcher, model_stock, multislerp, nuslerp): f32 partials per block on the GPU, f64 across blocks on the host, then
 * the methods' own host math (shared with their CPU kernels) turns the statistics into weights.
 */
import { Gram } from '../methods/gram';
import { karcherCoefficients } from '../methods/karcher';
import { numberParam, otherIndexes } from '../methods/kernel';
import type { MergeJob } from '../methods/kernel';
import { modelStockRatio } from '../methods/model_stock';
import { multislerpCoefficients } from '../methods/multislerp';
import { nuslerpCoefficients, nuslerpT } from '../methods/nuslerp';
import { slerpCoefficients } from '../methods/slerp';
import { gramOp, slerpStatsOp, weightedSumKernel } from '../gpu/ops';
import type { OutputKernel } from '../gpu/ops';
import { BLOCK } from '../gpu/runtime';
import type { EncodedInput, GpuRuntime, Readback } from '../gpu/runtime';
import { AppError } from '../shared/errors';
import type { BackendMerger } from './backend';
import type { Session } from './webgpu-session';
import { addPartials, applyBySubChunks, applyEncodedBySubChunks, copyOp, eachSubChunk, elementwiseMerger } from './webgpu-session';
import type { ApplyBytesOp, ApplyOp } from './webgpu-session';

/** One reduction pass for ‖a‖², ‖b‖², a·b (f32 per block, f64 across blocks), then a weighted sum. */
export function slerpMerger(session: Session, job: MergeJob, inputCount: number): BackendMerger {
  const a = job.baseIndex ?? 0;
  const b = otherIndexes(job, inputCount)[0];
  if (b === undefined) return elementwiseMerger(session, copyOp(a));
  const t = numberParam(job.globals, 't');
  return statsThenWeightedSum(session, 3, (runtime, parts, n) => slerpStatsOp(runtime, parts, n, a, b), (sums) => {
    const weights = new Array<number>(inputCount).fill(0);
    [weights[a], weights[b]] = slerpCoefficients(sums[0] as number, sums[1] as number, sums[2] as number, t);
    return weights;
  });
}

/**
 * One reduction pass summing `size` statistics (f32 partials per block from `statsOp`, added in f64 on the host), then
 * a weighted sum of the inputs with the weights `weightsOf` derives from the sums.
 */
function statsThenWeightedSum(
  session: Session,
  size: number,
  statsOp: (runtime: GpuRuntime, parts: EncodedInput[], n: number) => Promise<Readback<Float32Array>>,
  weightsOf: (sums: readonly number[]) => number[],
): BackendMerger {
  const sums = new Array<number>(size).fill(0);
  // The weighted sum, once the statistics pass has given its weights.
  let kernel: OutputKernel = weightedSumKernel([], 1);
  const output: ApplyOp = (runtime, parts, _start, n, round) => kernel.values(runtime, parts, n, round);
  const outputBytes: ApplyBytesOp = (runtime, parts, _start, n, dtype) => kernel.bytes(runtime, parts, n, dtype);
  return {
    passes: 1,
    rowLength: BLOCK,
    reduce: (_pass, inputs, _start, count) =>
      eachSubChunk(
        session,
        inputs,
        count,
        (runtime, parts, _offset, n) => statsOp(runtime, parts, n),
        (partials) => addPartials(sums, partials),
      ),
    endPass: () => {
      kernel = weightedSumKernel(weightsOf(sums), 1);
      return Promise.resolve();
    },
    apply: (inputs, start, count, roundTo) => applyBySubChunks(session, output, inputs, start, count, roundTo),
    applyEncoded: (inputs, start, count, dtype, out) => applyEncodedBySubChunks(session, output, outputBytes, inputs, start, count, dtype, out),
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
  return statsThenWeightedSum(session, (k * (k + 1)) / 2, (runtime, parts, n) => gramOp(runtime, parts, n, members, base), (triangle) => {
    const gram = new Gram(k);
    let at = 0;
    for (let i = 0; i < k; i++) for (let j = i; j < k; j++) gram.values[i * k + j] = triangle[at++] as number;
    return weightsOf(gram);
  });
}

/** The Gram methods' mergers: which vectors enter the Gram matrix, and how the method turns it into weights. */
export function gramMethodMerger(session: Session, method: string, job: MergeJob, inputCount: number): BackendMerger {
  switch (method) {
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
      throw new AppError('E_INTERNAL', `${method} is not a Gram method.`);
  }
}
