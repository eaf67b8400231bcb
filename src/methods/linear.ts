import { WEIGHT, globalBoolean } from './params';
import type { MethodSpec } from './types';

/** Weighted average (mergekit-spec §3.2). */
export const linear: MethodSpec = {
  id: 'linear',
  label: 'Linear',
  referenceUrl: 'https://arxiv.org/abs/2203.05482',
  base: 'none',
  minModels: 1,
  maxModels: undefined,
  params: [WEIGHT, globalBoolean('normalize', 'Divide by the sum of the weights.', true)],
};
