import { Gram } from './gram';
import { copyInput, numberParam } from './kernel';
import type { MethodKernel } from './kernel';
import { globalInteger, globalNumber } from './params';
import type { MethodSpec } from './types';

/** Riemannian (Karcher) mean of the inputs on the unit sphere (mergekit-spec §3.5). */
export const karcher: MethodSpec = {
  id: 'karcher',
  label: 'Karcher mean',
  referenceUrl: 'https://en.wikipedia.org/wiki/Fr%C3%A9chet_mean',
  base: 'none',
  minModels: 1,
  maxModels: undefined,
  params: [
    globalInteger('max_iter', 'Iterations of the mean.', { default: 10, min: 1 }),
    globalNumber('tol', 'Convergence tolerance.', { default: 1e-5, min: 0 }),
  ],
};

/**
 * The Karcher mean iterated in the span of the unit inputs (spec §3.5): one Gram pass gives every inner product, the
 * iteration runs on an N-vector of coefficients on the host, and the output pass is y = s·Σ cᵢ xᵢ/nᵢ with
 * s = mean of all norms.
 */
export const karcherKernel: MethodKernel = (job, inputCount) => {
  if (inputCount < 2) return copyInput(0);
  const maxIter = numberParam(job.globals, 'max_iter', 10);
  const tol = numberParam(job.globals, 'tol', 1e-5);
  const all = Array.from({ length: inputCount }, (_, i) => i);
  const gram = new Gram(inputCount);
  let weights: Float64Array = new Float64Array(inputCount);
  return {
    passes: 1,
    reduce: (_pass, inputs) => gram.add(inputs, all, undefined),
    endPass: () => {
      weights = karcherCoefficients(gram, maxIter, tol);
    },
    apply: (inputs, _start, out) => {
      for (let e = 0; e < out.length; e++) {
        let sum = 0;
        for (let i = 0; i < inputCount; i++) sum += (weights[i] as number) * (inputs[i]![e] as number);
        out[e] = sum;
      }
    },
  };
};

/** The weights wᵢ of y = Σ wᵢxᵢ, from the Gram matrix of the inputs. */
export function karcherCoefficients(gram: Gram, maxIter: number, tol: number): Float64Array {
  const n = gram.size;
  const norms = Array.from({ length: n }, (_, i) => Math.sqrt(gram.get(i, i)));
  const valid = norms.flatMap((norm, i) => (norm > tol ? [i] : []));
  const out = new Float64Array(n);
  if (valid.length === 0) return out;
  const k = valid.length;
  const unit = (i: number, j: number) => gram.get(valid[i] as number, valid[j] as number) / ((norms[valid[i] as number] as number) * (norms[valid[j] as number] as number));
  const dot = (x: Float64Array, y: Float64Array) => {
    let s = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) s += (x[i] as number) * (y[j] as number) * unit(i, j);
    return s;
  };
  const a = 1 / k;
  let c = new Float64Array(k).fill(a);
  const initial = Math.sqrt(Math.max(0, dot(c, c)));
  if (initial < tol) {
    c = new Float64Array(k);
    c[0] = 1;
  } else {
    c = c.map((v) => v / initial);
  }
  for (let iteration = 0; iteration < maxIter; iteration++) {
    const tangent = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      let d = 0;
      for (let i = 0; i < k; i++) d += (c[i] as number) * unit(i, j);
      d = Math.min(1, Math.max(-1, d));
      const theta = Math.acos(d);
      if (theta < tol) continue;
      const f = (a * theta) / Math.sin(theta);
      for (let i = 0; i < k; i++) tangent[i]! -= f * d * (c[i] as number);
      tangent[j]! += f;
    }
    const length = Math.sqrt(Math.max(0, dot(tangent, tangent)));
    if (length < tol) break;
    c = c.map((v, i) => Math.cos(length) * v + (Math.sin(length) * (tangent[i] as number)) / length);
    const norm = Math.sqrt(Math.max(0, dot(c, c)));
    if (norm > tol) c = c.map((v) => v / norm);
  }
  const scale = norms.reduce((s, norm) => s + norm, 0) / n;
  valid.forEach((input, i) => {
    out[input] = (scale * (c[i] as number)) / (norms[input] as number);
  });
  return out;
}
