import { AppError } from '../shared/errors';
import type { ParamSpec } from '../methods/types';
import type { ConditionalEntry, ParameterSetting, Parameters, Scalar } from './types';

/**
 * Position of a layer inside its output slice: `j / (L − 1)`, and 1 for a one-layer slice (mergekit-spec §2.1).
 * Tensors outside the layer stack (embeddings, final norm, LM head) use {@link NON_LAYER_POSITION}.
 */
export function layerPosition(offsetInSlice: number, sliceLength: number): number {
  return sliceLength > 1 ? offsetInSlice / (sliceLength - 1) : 1;
}

/** Embeddings, the final norm and the LM head all take a gradient's *first* value (mergekit-spec §2.1). */
export const NON_LAYER_POSITION = 0;

/** Piecewise-linear interpolation of `values` at `t ∈ [0, 1]` (mergekit-spec §2.2; no clamping). */
export function interpolate(values: readonly number[], t: number): number {
  const n = values.length;
  const s = t * (n - 1);
  const i0 = Math.trunc(s);
  const i1 = Math.min(n - 1, i0 + 1);
  const f = s - i0;
  return (1 - f) * (values[i0] as number) + f * (values[i1] as number);
}

export function isConditionalList(setting: ParameterSetting): setting is readonly ConditionalEntry[] {
  return Array.isArray(setting) && setting.length > 0 && typeof setting[0] === 'object';
}

/**
 * A setting's value for one tensor at position `t` (mergekit's `evaluate_setting`): scalars as they are; lists of
 * numbers (booleans count as 0/1) interpolated; other lists step at `int(t·(n−1))`; conditional lists take the first
 * entry whose filter is a substring of `tensorName` (absent or `*` match everything), or `undefined` when none does.
 */
export function evaluateSetting(setting: ParameterSetting, tensorName: string, t: number): Scalar | undefined {
  if (!Array.isArray(setting)) return setting as Scalar;
  if (isConditionalList(setting)) {
    for (const entry of setting) {
      if (entry.filter === undefined || entry.filter === '*' || tensorName.includes(entry.filter)) {
        return evaluateSetting(entry.value, tensorName, t);
      }
    }
    return undefined;
  }
  const list = setting as readonly Scalar[];
  if (list.every((v) => typeof v === 'number' || typeof v === 'boolean')) {
    return interpolate(list.map(Number), t);
  }
  return list[Math.trunc(t * (list.length - 1))];
}

export interface ParameterLevels {
  /** The model's own entry (`models[i].parameters` or `slices[s].sources[k].parameters`): per-model parameters only. */
  readonly source?: Parameters;
  readonly slice?: Parameters | undefined;
  /** `modules.<name>.parameters` */
  readonly module?: Parameters | undefined;
  readonly global: Parameters;
}

export interface ParameterTarget {
  /** For messages: the model (per-model parameters) and the tensor. */
  readonly model?: string;
  readonly tensor: string;
  readonly t: number;
  /** The base model gets the default of a per-model parameter rather than an error (mergekit never requires it). */
  readonly isBase?: boolean;
}

/**
 * mergekit's precedence (mergekit-spec §1.4): the model's own entry (per-model parameters only), then the slice,
 * then the module, then the top level, then the method's default; the first level whose setting evaluates to a value wins. A
 * required parameter with no value is an error naming the parameter, the model and the tensor.
 */
export function resolveParameter(param: ParamSpec, levels: ParameterLevels, target: ParameterTarget): Scalar | undefined {
  const chain = [param.scope === 'model' ? levels.source : undefined, levels.slice, levels.module, levels.global];
  for (const parameters of chain) {
    const setting = parameters?.[param.name];
    if (setting === undefined) continue;
    const value = evaluateSetting(setting, target.tensor, target.t);
    if (value !== undefined) return value;
  }
  if (param.default !== undefined) return param.default;
  if (param.required && target.isBase !== true) {
    const owner = param.scope === 'model' && target.model !== undefined ? ` for ${target.model}` : '';
    throw new AppError('E_RECIPE_INVALID', `Missing required parameter ${param.name}${owner} (tensor ${target.tensor}).`, {
      context: { tensor: target.tensor, ...(target.model === undefined ? {} : { model: target.model }) },
      hint: `Give ${param.name} a value under parameters (${param.description}) — a filter list needs a catch-all entry without a filter.`,
    });
  }
  return undefined;
}
