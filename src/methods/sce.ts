import { copyInput, numberParam, otherIndexes } from './kernel';
import type { MethodKernel } from './kernel';
import { RankWindow, descendingMagnitudeKeys } from './rank-window';
import { globalBoolean, globalNumber } from './params';
import type { MethodSpec } from './types';

/** Select, calculate, erase: variance-selected, energy-weighted task vectors (mergekit-spec §3.8). */
export const sce: MethodSpec = {
  id: 'sce',
  label: 'SCE',
  referenceUrl: 'https://arxiv.org/abs/2408.07990',
  base: 'required',
  minModels: 1,
  maxModels: undefined,
  params: [
    globalNumber('select_topk', 'Share of the highest-variance elements kept.', { default: 1, min: 0, max: 1 }),
    globalBoolean('int8_mask', 'Memory option in mergekit; no effect on the numbers.', false),
  ],
};

/** Guards of mergekit's sce: weight sums and the final divisor. */
const SCE_EPS = 1e-6;

/** The matrix-level weights sᵢ: each model's mean of the masked Tᵢ², normalised to sum 1 (uniform below 1e-6). */
export function sceWeights(squares: readonly number[] | Float64Array, numel: number): Float64Array {
  const means = Array.from(squares, (s) => s / numel);
  const total = means.reduce((a, b) => a + b, 0);
  return Float64Array.from(means, (m) => (Math.abs(total) < SCE_EPS ? 1 / means.length : m / total));
}

/** How many elements the selection keeps: ⌊(elements of non-zero variance) · select_topk⌋. */
export const sceKeepCount = (nonzero: number, topk: number): number => Math.floor(nonzero * topk);

/**
 * Select (optional top-k of the per-element variance of the task vectors), calculate (weights sᵢ = mean of the masked
 * Tᵢ², normalised), erase (TIES sign consensus, unweighted): y = b + Σ sᵢμᵢTᵢ / max(Σ sᵢμᵢ, 1e-6) (spec §3.8,
 * Appendix B). Passes: [nonzero-variance count, two selection passes] when selecting, then the weights.
 */
export const sceKernel: MethodKernel = (job, inputCount) => {
  const base = job.baseIndex ?? 0;
  const others = otherIndexes(job, inputCount);
  if (others.length === 0) return copyInput(base);
  const topk = numberParam(job.globals, 'select_topk', 1);
  const selecting = topk < 1;
  let nonzero = 0;
  let window: RankWindow | undefined;
  const squares = new Float64Array(others.length);
  let weights: Float64Array = new Float64Array(others.length);
  let keys = new Uint32Array(0);
  let mask = new Uint8Array(0);
  let variance = new Float32Array(0);

  const deltas = (inputs: readonly Float32Array[], e: number, into: Float64Array) => {
    const b = inputs[base]![e] as number;
    others.forEach((m, i) => {
      into[i] = (inputs[m]![e] as number) - b;
    });
  };
  /** Variance keys (largest first) and, once the window exists, the selection mask of this chunk. */
  const select = (inputs: readonly Float32Array[], length: number): void => {
    if (variance.length < length) {
      variance = new Float32Array(length);
      keys = new Uint32Array(length);
      mask = new Uint8Array(length);
    }
    const t = new Float64Array(others.length);
    for (let e = 0; e < length; e++) {
      deltas(inputs, e, t);
      let mean = 0;
      for (const v of t) mean += v;
      mean /= t.length;
      let sum = 0;
      for (const v of t) sum += (v - mean) * (v - mean);
      variance[e] = sum / t.length;
    }
    descendingMagnitudeKeys(variance.subarray(0, length), keys.subarray(0, length));
  };
  const maskOf = (inputs: readonly Float32Array[], length: number): Uint8Array => {
    if (!selecting) {
      if (mask.length < length) mask = new Uint8Array(length);
      return mask.fill(1, 0, length);
    }
    select(inputs, length);
    (window as RankWindow).keep(keys.subarray(0, length), mask.subarray(0, length));
    return mask;
  };
  const weightPass = selecting ? 3 : 0;

  return {
    passes: weightPass + 1,
    reduce: (pass, inputs) => {
      const length = inputs[0]!.length;
      if (pass === 0 && selecting) {
        select(inputs, length);
        for (let e = 0; e < length; e++) if ((variance[e] as number) !== 0) nonzero += 1;
        return;
      }
      if (pass < weightPass) {
        select(inputs, length);
        (window as RankWindow).count((pass - 1) as 0 | 1, keys.subarray(0, length));
        return;
      }
      const kept = maskOf(inputs, length);
      const t = new Float64Array(others.length);
      for (let e = 0; e < length; e++) {
        if (kept[e] !== 1) continue;
        deltas(inputs, e, t);
        t.forEach((v, i) => {
          squares[i]! += v * v;
        });
      }
    },
    endPass: (pass) => {
      if (pass === 0 && selecting) window = new RankWindow(job.numel, 0, sceKeepCount(nonzero, topk));
      else if (pass < weightPass) window?.endPass((pass - 1) as 0 | 1);
      if (pass === weightPass - 1 || pass === weightPass) window?.restart();
      if (pass !== weightPass) return;
      weights = sceWeights(squares, job.numel);
    },
    apply: (inputs, _start, out) => {
      const kept = maskOf(inputs, out.length);
      const b = inputs[base] as Float32Array;
      const t = new Float64Array(others.length);
      for (let e = 0; e < out.length; e++) {
        if (kept[e] !== 1) {
          out[e] = b[e] as number;
          continue;
        }
        deltas(inputs, e, t);
        let sum = 0;
        for (const v of t) sum += v;
        const majority = sum >= 0 ? 1 : -1;
        let numerator = 0;
        let denominator = 0;
        t.forEach((v, i) => {
          if (Math.sign(v) === majority) {
            numerator += (weights[i] as number) * v;
            denominator += weights[i] as number;
          }
        });
        out[e] = (b[e] as number) + numerator / Math.max(denominator, SCE_EPS);
      }
    },
  };
};
