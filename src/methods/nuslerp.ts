import { Gram } from './gram';
import { boolParam, copyInput, elementwise, numberParam, otherIndexes, rowLengthOf } from './kernel';
import type { MergeJob, MethodKernel } from './kernel';
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

/** Norm floor and colinearity guard of nuslerp (far tighter than slerp's 0.9995). */
const NORM_FLOOR = 1e-7;
const SIN_EPS = 1e-8;

/** Coefficients (cp, cq) of S(t, p, q) = cp·p + cq·q from ‖p‖², ‖q‖², p·q. */
export function nuslerpCoefficients(t: number, pp: number, qq: number, pq: number): [number, number] {
  const cos = Math.min(1, Math.max(-1, pq / (Math.max(Math.sqrt(pp), NORM_FLOOR) * Math.max(Math.sqrt(qq), NORM_FLOOR))));
  const theta = Math.acos(cos);
  const sin = Math.sin(theta);
  if (Math.abs(sin) < SIN_EPS) return [1 - t, t];
  return [Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin];
}

/**
 * y = S(t, x₁, x₂), or b + S(t, x₁ − b, x₂ − b) with a base, t = w₂/(w₁ + w₂). The vectors are the whole tensor
 * (`nuslerp_flatten`), each row, or each column (`nuslerp_row_wise`, which in mergekit means columns).
 */
export const nuslerpKernel: MethodKernel = (job, inputCount) => {
  const base = job.baseIndex;
  const others = otherIndexes(job, inputCount);
  if (others.length < 2) return copyInput(others[0] ?? base ?? 0);
  const [i1, i2] = others as [number, number];
  const t = nuslerpT(job, i1, i2);
  const members = [i1, i2];
  /** Writes the blend of elements `from + k·stride`, k < count, given their Gram matrix. */
  const blend = (inputs: readonly Float32Array[], out: Float32Array, gram: Gram, from: number, count: number, stride: number) => {
    const [cp, cq] = nuslerpCoefficients(t, gram.get(0, 0), gram.get(1, 1), gram.get(0, 1));
    const b = base === undefined ? undefined : (inputs[base] as Float32Array);
    for (let k = 0, e = from; k < count; k++, e += stride) {
      const offset = b === undefined ? 0 : (b[e] as number);
      out[e] = offset + cp * ((inputs[i1]![e] as number) - offset) + cq * ((inputs[i2]![e] as number) - offset);
    }
  };
  if (nuslerpFlat(job)) {
    const gram = new Gram(2);
    return {
      passes: 1,
      reduce: (_pass, inputs) => gram.add(inputs, members, base),
      endPass: () => undefined,
      apply: (inputs, _start, out) => blend(inputs, out, gram, 0, out.length, 1),
    };
  }
  const columns = boolParam(job.globals, 'nuslerp_row_wise', false);
  const rowLength = rowLengthOf(job);
  const gram = new Gram(2);
  const strided = (inputs: readonly Float32Array[], from: number, count: number, stride: number) => {
    gram.reset();
    const pick = inputs.map((x) => Float32Array.from({ length: count }, (_, k) => x[from + k * stride] as number));
    gram.add(pick, [i1, i2], base);
  };
  if (!columns) {
    return elementwise((inputs, _start, out) => {
      for (let from = 0; from < out.length; from += rowLength) {
        gram.reset();
        gram.add(inputs, members, base, from, from + rowLength);
        blend(inputs, out, gram, from, rowLength, 1);
      }
    }, rowLength);
  }
  // Columns run along axis 0: the whole tensor is one chunk.
  const rows = job.numel / rowLength;
  return elementwise((inputs, _start, out) => {
    for (let column = 0; column < rowLength; column++) {
      strided(inputs, column, rows, rowLength);
      blend(inputs, out, gram, column, rows, rowLength);
    }
  }, job.numel);
};

/** t = w₂/(w₁ + w₂), or 0.5 when the weights cancel. */
export function nuslerpT(job: MergeJob, i1: number, i2: number): number {
  const w1 = numberParam(job.perModel[i1] ?? {}, 'weight');
  const w2 = numberParam(job.perModel[i2] ?? {}, 'weight');
  return Math.abs(w1 + w2) < 1e-6 ? 0.5 : w2 / (w1 + w2);
}

/** Whether nuslerp treats the whole tensor as one vector (otherwise rows or columns). */
export const nuslerpFlat = (job: MergeJob): boolean => boolParam(job.globals, 'nuslerp_flatten', true) || job.shape.length < 2;
