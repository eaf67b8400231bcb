import { boolParam, elementwise, numberParam } from './kernel';
import type { MethodKernel } from './kernel';
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

/** y = Σ wᵢ xᵢ, divided by Σ wᵢ when normalising (no guard for Σ wᵢ = 0, as in mergekit). */
export const linearKernel: MethodKernel = (job, inputCount) => {
  const weights = Array.from({ length: inputCount }, (_, i) => numberParam(job.perModel[i] ?? {}, 'weight'));
  const divisor = boolParam(job.globals, 'normalize', true) ? weights.reduce((a, b) => a + b, 0) : 1;
  return elementwise((inputs, _start, out) => {
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let m = 0; m < inputCount; m++) sum += (weights[m] as number) * (inputs[m]![i] as number);
      out[i] = sum / divisor;
    }
  });
};
