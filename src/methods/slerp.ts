import { globalNumber } from './params';
import type { MethodSpec } from './types';

/** Spherical interpolation between the base (t = 0) and one other model (mergekit-spec §3.3). */
export const slerp: MethodSpec = {
  id: 'slerp',
  label: 'SLERP',
  referenceUrl: 'https://en.wikipedia.org/wiki/Slerp',
  base: 'required',
  minModels: 1,
  maxModels: 1,
  params: [globalNumber('t', 'Position between the base (0) and the other model (1).', { required: true })],
};
