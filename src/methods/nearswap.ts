import { globalNumber } from './params';
import type { MethodSpec } from './types';

/** Take the other model's value where it is within t of the base (mergekit-spec §3.11). */
export const nearswap: MethodSpec = {
  id: 'nearswap',
  label: 'NearSwap',
  referenceUrl: 'https://huggingface.co/alchemonaut/QuartetAnemoi-70B-t0.0001',
  base: 'required',
  minModels: 1,
  maxModels: 1,
  params: [globalNumber('t', 'Similarity threshold in weight units: elements closer than t are swapped in.', { required: true, min: 0 })],
};
