import { WEIGHT, globalBoolean } from './params';
import type { MethodSpec } from './types';

/** SLERP of two models (or of their task vectors when a base is given), weighted (mergekit-spec §3.4). */
export const nuslerp: MethodSpec = {
  id: 'nuslerp',
  label: 'NuSLERP',
  referenceUrl: 'https://github.com/arcee-ai/mergekit/blob/main/docs/merge_methods.md',
  base: 'optional',
  minModels: 2,
  maxModels: 2,
  params: [
    WEIGHT,
    globalBoolean('nuslerp_flatten', 'Treat the whole tensor as one vector.', true),
    globalBoolean('nuslerp_row_wise', 'Without flattening: interpolate columns instead of rows.', false),
  ],
};
