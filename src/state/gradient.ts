/**
 * Per-layer curves for a numeric parameter, and their mergekit notation. A curve is a gradient's anchor list (mergekit
 * spreads the anchors evenly over each slice's layers and interpolates linearly between them); one curve per filter
 * (`self_attn`, `mlp`, …) plus the default curve for every other tensor. Resolution reuses the recipe's own
 * `evaluateSetting` and `layerPosition`, so the table shows exactly what the merge will use.
 */
import { NON_LAYER_POSITION, evaluateSetting, interpolate, isConditionalList, layerPosition } from '../recipe/settings';
import type { ConditionalEntry, ParameterSetting } from '../recipe/types';

/** The curve of tensors that no filter matches. */
export const DEFAULT_FILTER = '*';

export type Curves = Readonly<Record<string, readonly number[]>>;

/** The filters the editor offers first (the ones mergekit recipes use most); others in a setting are kept. */
export const COMMON_FILTERS = ['self_attn', 'mlp'] as const;

export const PRESETS: readonly { readonly id: string; readonly label: string; readonly anchors: readonly number[] }[] = [
  { id: 'flat', label: 'Flat', anchors: [0.5] },
  { id: 'up', label: 'Linear up', anchors: [0, 1] },
  { id: 'down', label: 'Linear down', anchors: [1, 0] },
  { id: 'v', label: 'V', anchors: [1, 0, 1] },
  { id: 'smooth', label: 'Smooth step', anchors: smoothStep(7) },
];

/** Samples of 3x² − 2x³ at n evenly spaced points. */
function smoothStep(n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const x = i / (n - 1);
    return Math.round((3 * x * x - 2 * x * x * x) * 1000) / 1000;
  });
}

/**
 * Reads a setting as curves, or undefined when it is not purely numeric (booleans, strings: edit as text). A scalar
 * is a one-anchor curve.
 */
export function settingToCurves(setting: ParameterSetting | undefined, fallback: number): Curves | undefined {
  if (setting === undefined) return { [DEFAULT_FILTER]: [fallback] };
  if (typeof setting === 'number') return { [DEFAULT_FILTER]: [setting] };
  if (!Array.isArray(setting)) return undefined;
  if (isConditionalList(setting)) {
    const curves: Record<string, readonly number[]> = {};
    for (const entry of setting) {
      const key = entry.filter === undefined || entry.filter === '*' ? DEFAULT_FILTER : entry.filter;
      if (key in curves) continue;
      const values: readonly unknown[] = Array.isArray(entry.value) ? entry.value : [entry.value];
      if (!values.every((v) => typeof v === 'number')) return undefined;
      curves[key] = values as number[];
    }
    return DEFAULT_FILTER in curves ? curves : { ...curves, [DEFAULT_FILTER]: [fallback] };
  }
  const list = setting as readonly unknown[];
  return list.every((v) => typeof v === 'number') ? { [DEFAULT_FILTER]: list as number[] } : undefined;
}

/** The mergekit notation for curves: a scalar, a gradient list, or filter entries with the default last. */
export function curvesToSetting(curves: Curves): ParameterSetting {
  const one = (anchors: readonly number[]): number | readonly number[] => (anchors.length === 1 ? (anchors[0] as number) : anchors);
  const filters = Object.keys(curves).filter((k) => k !== DEFAULT_FILTER);
  const fallback = curves[DEFAULT_FILTER] ?? [0];
  if (filters.length === 0) return one(fallback);
  const entries: ConditionalEntry[] = filters.map((filter) => ({ filter, value: one(curves[filter] as number[]) }));
  entries.push({ value: one(fallback) });
  return entries;
}

/** The same curve with `n` anchors (resampled with mergekit's interpolation). */
export function resample(anchors: readonly number[], n: number): number[] {
  if (n < 1) return [...anchors];
  if (anchors.length === 1) return Array.from({ length: n }, () => anchors[0] as number);
  return Array.from({ length: n }, (_, i) => round(interpolate(anchors, n === 1 ? 0 : i / (n - 1))));
}

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** A representative tensor name per filter at layer `j` (a Llama-style name containing the filter). */
export function sampleTensor(filter: string, layer: number): string {
  if (filter === 'self_attn') return `model.layers.${layer}.self_attn.q_proj.weight`;
  if (filter === 'mlp') return `model.layers.${layer}.mlp.up_proj.weight`;
  if (filter === DEFAULT_FILTER) return `model.layers.${layer}.input_layernorm.weight`;
  return `model.layers.${layer}.${filter}.weight`;
}

/** What tensor `tensor` gets at position `t` as a number (booleans as 0/1), through the recipe's own evaluation. */
function numericValue(setting: ParameterSetting, tensor: string, t: number): number | undefined {
  const value = evaluateSetting(setting, tensor, t);
  return typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : undefined;
}

/** The value each layer gets, per curve, through the recipe's own evaluation (one whole-model slice). */
export function resolvedTable(setting: ParameterSetting, layers: number, filters: readonly string[]): { layer: number; t: number; values: (number | undefined)[] }[] {
  return Array.from({ length: layers }, (_, j) => {
    const t = layerPosition(j, layers);
    return {
      layer: j,
      t,
      values: filters.map((filter) => numericValue(setting, sampleTensor(filter, j), t)),
    };
  });
}

/** Tensors outside the layer stack, by the name the table gives them and a representative (Llama-style) tensor. */
const NON_LAYER_TENSORS = [
  { label: 'embed', tensor: 'model.embed_tokens.weight' },
  { label: 'norm', tensor: 'model.norm.weight' },
  { label: 'LM head', tensor: 'lm_head.weight' },
] as const;

/**
 * What the tensors outside the layer stack get: a gradient's first value (mergekit-spec §2.1), through the same
 * evaluation as the layers. A filter column has a value only where its substring is in the tensor's name; the default
 * column shows the value the tensor gets.
 */
export function nonLayerRows(setting: ParameterSetting, filters: readonly string[]): { label: string; tensor: string; values: (number | undefined)[] }[] {
  return NON_LAYER_TENSORS.map(({ label, tensor }) => ({
    label,
    tensor,
    values: filters.map((filter) => (filter !== DEFAULT_FILTER && !tensor.includes(filter) ? undefined : numericValue(setting, tensor, NON_LAYER_POSITION))),
  }));
}

/** Why `name` cannot be a new filter of `curves`, or undefined when it can. */
export function filterProblem(curves: Curves, name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed === DEFAULT_FILTER) return 'Give a part of a tensor name, such as q_proj or layernorm.';
  if (trimmed in curves || (COMMON_FILTERS as readonly string[]).includes(trimmed)) return `${trimmed} already has a tab.`;
  return undefined;
}
