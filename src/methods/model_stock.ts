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
