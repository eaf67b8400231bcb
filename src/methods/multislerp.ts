import { AppError } from '../shared/errors';
import { Gram } from './gram';
import { boolParam, copyInput, numberParam, otherIndexes } from './kernel';
import type { MergeJob, MethodKernel } from './kernel';
import { WEIGHT, globalBoolean, globalNumber } from './params';
import type { MethodSpec } from './types';

/** Barycentric interpolation on the sphere of any number of models (mergekit-spec §3.6). */
export const multislerp: MethodSpec = {
  id: 'multislerp',
  label: 'Multi-SLERP',
  referenceUrl: 'https://github.com/arcee-ai/mergekit/blob/main/docs/merge_methods.md',
  base: 'optional',
  minModels: 1,
  maxModels: undefined,
  params: [
    WEIGHT,
    globalBoolean('normalize_weights', 'Divide the weights by their sum.', true),
    globalNumber('eps', 'Guard against division by zero.', { default: 1e-8, min: 0 }),
  ],
};

/**
 * Closed form of mergekit's multislerp (spec §3.6: its tangent step cancels exactly): with vᵢ = xᵢ (or xᵢ − b),
 * nᵢ = ‖vᵢ‖, uᵢ = vᵢ/(nᵢ + eps), m = Σ wᵢuᵢ: y = m/‖m‖ · Σ wᵢnᵢ (+ b). One Gram pass gives every norm.
 */
export const multislerpKernel: MethodKernel = (job, inputCount) => {
  const base = job.baseIndex;
  const others = otherIndexes(job, inputCount);
  if (others.length < 2) return copyInput(others[0] ?? base ?? 0);
  const gram = new Gram(others.length);
  let coefficients: readonly number[] = [];
  return {
    passes: 1,
    reduce: (_pass, inputs) => gram.add(inputs, others, base),
    endPass: () => {
      coefficients = multislerpCoefficients(job, others, gram);
    },
    apply: (inputs, _start, out) => {
      const b = base === undefined ? undefined : (inputs[base] as Float32Array);
      for (let e = 0; e < out.length; e++) {
        const offset = b === undefined ? 0 : (b[e] as number);
        let sum = 0;
        for (let i = 0; i < others.length; i++) sum += (coefficients[i] as number) * ((inputs[others[i] as number]![e] as number) - offset);
        out[e] = offset + sum;
      }
    },
  };
};

/** The coefficients cᵢ of y = Σ cᵢvᵢ (+ b) over the non-base inputs, from the Gram matrix of the vᵢ. */
export function multislerpCoefficients(job: MergeJob, others: readonly number[], gram: Gram): number[] {
  const eps = numberParam(job.globals, 'eps', 1e-8);
  let weights = others.map((i) => numberParam(job.perModel[i] ?? {}, 'weight'));
  if (boolParam(job.globals, 'normalize_weights', true)) {
    const total = weights.reduce((a, b) => a + b, 0);
    weights = weights.map((w) => w / total);
  }
  const k = others.length;
  const norms = others.map((_, i) => Math.sqrt(gram.get(i, i)));
  let mm = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) mm += (weights[i] as number) * (weights[j] as number) * gram.get(i, j) / (((norms[i] as number) + eps) * ((norms[j] as number) + eps));
  }
  const m = Math.sqrt(Math.max(0, mm));
  if (m < eps) {
    if (k === 2) return weights; // mergekit: fall back to the weighted sum of the two
    throw new AppError('E_RECIPE_INVALID', `multislerp: the models point in opposite directions for ${job.tensor}; their mean is zero.`, {
      context: { tensor: job.tensor },
      hint: 'Change the weights or use linear for this tensor.',
    });
  }
  const scale = norms.reduce((s, n, i) => s + (weights[i] as number) * n, 0) / m;
  return weights.map((w, i) => (w / ((norms[i] as number) + eps)) * scale);
}
