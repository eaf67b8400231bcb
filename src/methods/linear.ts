import { boolParam, elementwise, numberParam } from './kernel';
import type { MethodKernel } from './kernel';
import { WEIGHT, globalBoolean } from './params';
import { simdKernels } from './simd';
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
  const merger = elementwise((inputs, _start, out) => {
    const simd = simdKernels();
    if (simd !== undefined && out.length >= SIMD_MIN) {
      simd.weightedSum(inputs, weights, divisor, out);
      return;
    }
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let m = 0; m < inputCount; m++) sum += (weights[m] as number) * (inputs[m]![i] as number);
      out[i] = sum / divisor;
    }
  });
  return {
    ...merger,
    applyBf16: (inputs, _start, out) => {
      const simd = simdKernels();
      if (simd === undefined || out.length < SIMD_MIN) return false;
      simd.weightedSum(inputs, weights, divisor, out);
      return true;
    },
  };
};

/** Below this many elements the TypeScript loop beats a trip through WebAssembly memory. */
const SIMD_MIN = 64;
