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
