import { copyInput, numberParam, otherIndexes } from './kernel';
import type { MethodKernel } from './kernel';
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

/** Above this |cos θ| the inputs count as colinear and slerp falls back to lerp (mergekit's threshold). */
const COLINEAR = 0.9995;
/** Norms at or below this are not normalised. */
const NORM_EPS = 1e-8;

/**
 * One reduction pass for ‖a‖², ‖b‖², a·b (a = base, the t = 0 end), then y = s₀·a + s₁·b with
 * s₀ = sin((1−t)θ)/sin θ, s₁ = sin(tθ)/sin θ on the raw tensors, or lerp when |cos θ| > 0.9995.
 */
export const slerpKernel: MethodKernel = (job, inputCount) => {
  const a = job.baseIndex ?? 0;
  const b = otherIndexes(job, inputCount)[0];
  if (b === undefined) return copyInput(a);
  const t = numberParam(job.globals, 't');
  let aa = 0;
  let bb = 0;
  let ab = 0;
  let s0 = 1 - t;
  let s1 = t;
  return {
    passes: 1,
    reduce: (_pass, inputs) => {
      const x = inputs[a] as Float32Array;
      const y = inputs[b] as Float32Array;
      for (let i = 0; i < x.length; i++) {
        const xi = x[i] as number;
        const yi = y[i] as number;
        aa += xi * xi;
        bb += yi * yi;
        ab += xi * yi;
      }
    },
    endPass: () => {
      [s0, s1] = slerpCoefficients(aa, bb, ab, t);
    },
    apply: (inputs, _start, out) => {
      const x = inputs[a] as Float32Array;
      const y = inputs[b] as Float32Array;
      for (let i = 0; i < out.length; i++) out[i] = s0 * (x[i] as number) + s1 * (y[i] as number);
    },
  };
};

/**
 * The blend weights [s₀, s₁] of y = s₀·a + s₁·b from ‖a‖², ‖b‖² and a·b: sin((1−t)θ)/sin θ and sin(tθ)/sin θ, or
 * lerp's [1 − t, t] when |cos θ| > 0.9995 (shared by the CPU kernel and the WebGPU backend).
 */
export function slerpCoefficients(aa: number, bb: number, ab: number, t: number): [number, number] {
  const na = Math.sqrt(aa);
  const nb = Math.sqrt(bb);
  const cos = ab / ((na > NORM_EPS ? na : 1) * (nb > NORM_EPS ? nb : 1));
  if (Math.abs(cos) > COLINEAR) return [1 - t, t];
  const theta = Math.acos(cos);
  const sin = Math.sin(theta);
  return [Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin];
}
