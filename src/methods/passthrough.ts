import { modelNumber } from './params';
import type { MethodSpec } from './types';

/** Copies one input, optionally scaled: layer stacking ("frankenmerges") (mergekit-spec §3.13). */
export const passthrough: MethodSpec = {
  id: 'passthrough',
  label: 'Passthrough',
  referenceUrl: 'https://github.com/arcee-ai/mergekit',
  base: 'none',
  minModels: 1,
  maxModels: 1,
  params: [modelNumber('scale', 'Multiply the tensor by this factor.')],
};
