import { copyInput, elementwise, numberParam, otherIndexes } from './kernel';
import type { MethodKernel } from './kernel';
import { globalNumber } from './params';
import { simdKernels } from './simd';
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

/** Below this many elements the TypeScript loop beats a trip through WebAssembly memory. */
const SIMD_MIN = 64;
/** |b − x| below this counts as this (mergekit's guard against division by zero). */
const MIN_DISTANCE = 1e-6;

/** w = clamp(t / max(|b − x|, 1e-6), 0, 1); y = w·x + (1 − w)·b. Only the base → the base. */
export const nearswapKernel: MethodKernel = (job, inputCount) => {
  const base = job.baseIndex ?? 0;
  const other = otherIndexes(job, inputCount)[0];
  if (other === undefined) return copyInput(base);
  const t = numberParam(job.globals, 't');
  const merger = elementwise((inputs, _start, out) => {
    const b = inputs[base] as Float32Array;
    const x = inputs[other] as Float32Array;
    const simd = simdKernels();
    if (simd !== undefined && out.length >= SIMD_MIN) {
      simd.nearswap(b, x, t, out);
      return;
    }
    for (let i = 0; i < out.length; i++) {
      const bi = b[i] as number;
      const xi = x[i] as number;
      const w = Math.min(1, Math.max(0, t / Math.max(Math.abs(bi - xi), MIN_DISTANCE)));
      out[i] = w * xi + (1 - w) * bi;
    }
  });
  return {
    ...merger,
    applyBf16: (inputs, _start, out) => {
      const simd = simdKernels();
      if (simd === undefined || out.length < SIMD_MIN) return false;
      simd.nearswapBf16(inputs[base] as Uint8Array, inputs[other] as Uint8Array, t, out);
      return true;
    },
  };
};
