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
