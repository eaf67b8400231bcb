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
