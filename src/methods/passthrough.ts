import { AppError } from '../shared/errors';
import { elementwise, numberParam } from './kernel';
import type { MethodKernel } from './kernel';
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

/** y = scale · x (scale defaults to 1). */
export const passthroughKernel: MethodKernel = (job, inputCount) => {
  if (inputCount !== 1) throw new AppError('E_INTERNAL', `passthrough needs exactly one input for ${job.tensor}, got ${inputCount}.`);
  const scale = numberParam(job.perModel[0] ?? {}, 'scale', 1);
  return elementwise((inputs, _start, out) => {
    const x = inputs[0] as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] = scale * (x[i] as number);
  });
};
