import { copyInput, numberParam, otherIndexes } from './kernel';
import type { MethodKernel } from './kernel';
import { globalNumber } from './params';
import { simdKernels } from './simd';
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
/** Below this many elements the TypeScript loops beat a trip through WebAssembly memory. */
const SIMD_MIN = 64;
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
  // Four running sums per statistic, one per lane (absolute element index mod 4): independent chains run four times
  // faster than one, and each lane adds its elements in index order, so the sums do not depend on the chunking.
  const lanes = new Float64Array(12);
  let aa = 0;
  let bb = 0;
  let ab = 0;
  let s0 = 1 - t;
  let s1 = t;
  return {
    passes: 1,
    reduce: (_pass, inputs, start) => {
      const x = inputs[a] as Float32Array;
      const y = inputs[b] as Float32Array;
      const n = x.length;
      let i = 0;
      const single = (k: number) => {
        const lane = ((start + k) & 3) * 3;
        const xk = x[k] as number;
        const yk = y[k] as number;
        lanes[lane] = (lanes[lane] as number) + xk * xk;
        lanes[lane + 1] = (lanes[lane + 1] as number) + yk * yk;
        lanes[lane + 2] = (lanes[lane + 2] as number) + xk * yk;
      };
      for (; i < n && ((start + i) & 3) !== 0; i++) single(i);
      const simd = simdKernels();
      if (simd !== undefined && n - i >= SIMD_MIN) {
        const body = (n - i) & ~3;
        simd.slerpStats(x.subarray(i, i + body), y.subarray(i, i + body), lanes);
        i += body;
      }
      let xx0 = lanes[0] as number, yy0 = lanes[1] as number, xy0 = lanes[2] as number;
      let xx1 = lanes[3] as number, yy1 = lanes[4] as number, xy1 = lanes[5] as number;
      let xx2 = lanes[6] as number, yy2 = lanes[7] as number, xy2 = lanes[8] as number;
      let xx3 = lanes[9] as number, yy3 = lanes[10] as number, xy3 = lanes[11] as number;
      for (; i + 3 < n; i += 4) {
        const x0 = x[i] as number, y0 = y[i] as number;
        const x1 = x[i + 1] as number, y1 = y[i + 1] as number;
        const x2 = x[i + 2] as number, y2 = y[i + 2] as number;
        const x3 = x[i + 3] as number, y3 = y[i + 3] as number;
        xx0 += x0 * x0; yy0 += y0 * y0; xy0 += x0 * y0;
        xx1 += x1 * x1; yy1 += y1 * y1; xy1 += x1 * y1;
        xx2 += x2 * x2; yy2 += y2 * y2; xy2 += x2 * y2;
        xx3 += x3 * x3; yy3 += y3 * y3; xy3 += x3 * y3;
      }
      lanes.set([xx0, yy0, xy0, xx1, yy1, xy1, xx2, yy2, xy2, xx3, yy3, xy3]);
      for (; i < n; i++) single(i);
    },
    endPass: () => {
      for (let lane = 0; lane < 12; lane += 3) {
        aa += lanes[lane] as number;
        bb += lanes[lane + 1] as number;
        ab += lanes[lane + 2] as number;
      }
      [s0, s1] = slerpCoefficients(aa, bb, ab, t);
    },
    reduceBf16: (_pass, inputs, start) => {
      const simd = simdKernels();
      const n = (inputs[a] as Uint8Array).length / 2;
      // The four lanes need whole groups of four starting at lane 0; other chunks take the decoding path.
      if (simd === undefined || n < SIMD_MIN || (start & 3) !== 0 || (n & 3) !== 0) return false;
      simd.slerpStatsBf16(inputs[a] as Uint8Array, inputs[b] as Uint8Array, lanes);
      return true;
    },
    applyBf16: (inputs, _start, out) => {
      const simd = simdKernels();
      if (simd === undefined || out.length < SIMD_MIN) return false;
      simd.blend2Bf16(inputs[a] as Uint8Array, inputs[b] as Uint8Array, s0, s1, out);
      return true;
    },
    applyBf16Encoded: (inputs, _start, out) => {
      const simd = simdKernels();
      if (simd === undefined || out.length < SIMD_MIN * 2) return false;
      simd.blend2Bf16Encoded(inputs[a] as Uint8Array, inputs[b] as Uint8Array, s0, s1, out);
      return true;
    },
    apply: (inputs, _start, out) => {
      const x = inputs[a] as Float32Array;
      const y = inputs[b] as Float32Array;
      const simd = simdKernels();
      if (simd !== undefined && out.length >= SIMD_MIN) simd.blend2(x, y, s0, s1, out);
      else for (let i = 0; i < out.length; i++) out[i] = s0 * (x[i] as number) + s1 * (y[i] as number);
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
