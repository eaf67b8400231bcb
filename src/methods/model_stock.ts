import { AppError } from '../shared/errors';
import { Gram } from './gram';
import { boolParam, copyInput, elementwise, otherIndexes, rowLengthOf } from './kernel';
import type { MethodKernel } from './kernel';
import { globalBoolean } from './params';
import type { MethodSpec } from './types';

/** Interpolates between the base and the mean of the fine-tunes by their geometry (mergekit-spec §3.10). */
export const model_stock: MethodSpec = {
  id: 'model_stock',
  label: 'Model Stock',
  referenceUrl: 'https://arxiv.org/abs/2403.19522',
  base: 'required',
  minModels: 2,
  maxModels: undefined,
  params: [globalBoolean('filter_wise', 'Compute the interpolation per row instead of per tensor.', false)],
};

/** cos clamp guard (mergekit). */
const NORM_PRODUCT_EPS = 1e-6;

/**
 * t = K·c / (1 + (K − 1)·c) from the mean pairwise cosine c of the offsets xᵢ − b; y = t·mean(xᵢ) + (1 − t)·b.
 * With `filter_wise` the same per row (chunks of whole rows, no reduction pass).
 */
export const modelStockKernel: MethodKernel = (job, inputCount) => {
  const base = job.baseIndex ?? 0;
  const others = otherIndexes(job, inputCount);
  if (others.length === 0) return copyInput(base);
  if (others.length < 2) {
    throw new AppError('E_RECIPE_INVALID', `model_stock needs at least two models besides the base for ${job.tensor}.`, {
      context: { tensor: job.tensor },
      hint: 'Add another fine-tune of the same base, or use another method.',
    });
  }
  const blend = (t: number, inputs: readonly Float32Array[], out: Float32Array, from: number, to: number) => {
    const b = inputs[base] as Float32Array;
    for (let e = from; e < to; e++) {
      let mean = 0;
      for (const m of others) mean += inputs[m]![e] as number;
      out[e] = t * (mean / others.length) + (1 - t) * (b[e] as number);
    }
  };
  const ratio = modelStockRatio;
  if (boolParam(job.globals, 'filter_wise', false)) {
    const row = rowLengthOf(job);
    const gram = new Gram(others.length);
    return elementwise((inputs, _start, out) => {
      for (let from = 0; from < out.length; from += row) {
        gram.reset();
        gram.add(inputs, others, base, from, from + row);
        blend(ratio(gram), inputs, out, from, from + row);
      }
    }, row);
  }
  const gram = new Gram(others.length);
  let t = 0;
  return {
    passes: 1,
    reduce: (_pass, inputs) => gram.add(inputs, others, base),
    endPass: () => {
      t = ratio(gram);
    },
    apply: (inputs, _start, out) => blend(t, inputs, out, 0, out.length),
  };
};

/** t = K·c / (1 + (K − 1)·c) from the Gram matrix of the K offsets (c = mean pairwise cosine). */
export function modelStockRatio(gram: Gram): number {
  const k = gram.size;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const denominator = Math.max(Math.sqrt(gram.get(i, i) * gram.get(j, j)), NORM_PRODUCT_EPS);
      sum += Math.min(1, Math.max(-1, gram.get(i, j) / denominator));
      pairs += 1;
    }
  }
  const c = sum / pairs;
  return (k * c) / (1 + (k - 1) * c);
}
