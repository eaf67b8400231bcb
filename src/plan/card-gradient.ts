import { layerIndexOf } from '../shared/layer-name';
import type { MergeExpr, ParamValue, TensorExpr } from './types';

/** A tensor as the card sees it: its name and how it is produced. */
export interface CardTensor {
  readonly name: string;
  readonly expr: TensorExpr;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The per-layer gradient picture for the card: a Markdown table with one row per layer and one column per merge
 * parameter that changes with depth (global ones by name, per-model ones as `name · model`). A cell holds the value
 * (or `min–max` when the layer's tensors differ, e.g. attention vs MLP filters) and a bar, `▁` … `█`, that places the
 * layer's mean between the column's lowest and highest value. Empty when no parameter changes across layers.
 */
export function gradientSection(tensors: readonly CardTensor[]): string[] {
  const columns = new Map<string, Map<number, number[]>>();
  for (const tensor of tensors) {
    const layer = layerIndexOf(tensor.name);
    if (tensor.expr.kind !== 'merge' || layer === undefined) continue;
    for (const [label, value] of parameters(tensor.expr)) {
      const byLayer = columns.get(label) ?? new Map<number, number[]>();
      columns.set(label, byLayer);
      const values = byLayer.get(layer) ?? [];
      byLayer.set(layer, values);
      values.push(value);
    }
  }
  const varying = [...columns].filter(([, byLayer]) => new Set([...byLayer.values()].flat()).size > 1);
  if (varying.length === 0) return [];
  const layers = [...new Set(varying.flatMap(([, byLayer]) => [...byLayer.keys()]))].sort((a, b) => a - b);
  const rows = layers.map((layer) => {
    const cells = varying.map(([, byLayer]) => {
      const all = [...byLayer.values()].flat();
      const values = byLayer.get(layer);
      if (values === undefined) return '–';
      const [lo, hi] = [Math.min(...values), Math.max(...values)];
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const [min, max] = [Math.min(...all), Math.max(...all)];
      const bar = BARS[max === min ? 0 : Math.round(((mean - min) / (max - min)) * (BARS.length - 1))];
      return `${lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`} ${bar}`;
    });
    return `| ${layer} | ${cells.join(' | ')} |`;
  });
  return [
    '### Per-layer parameters',
    '',
    'How the merge parameters change with depth (a bar places each layer between the lowest and highest value of its column):',
    '',
    `| layer | ${varying.map(([label]) => label).join(' | ')} |`,
    `| ---: | ${varying.map(() => ':---').join(' | ')} |`,
    ...rows,
    '',
  ];
}

/** The numeric parameters of one merge: globals by name, per-model ones labelled with the input model. */
function parameters(expr: MergeExpr): [string, number][] {
  const out: [string, number][] = [];
  for (const [name, value] of Object.entries(expr.globals)) if (isNumber(value)) out.push([name, value]);
  expr.perModel.forEach((params, i) => {
    const input = expr.inputs[i];
    const model = input === undefined ? `#${i + 1}` : input.kind === 'read' ? input.input : input.kind === 'lora' && input.weight.kind === 'read' ? input.weight.input : (input.kind === 'merge' ? input.stage : undefined) ?? `#${i + 1}`;
    for (const [name, value] of Object.entries(params)) if (isNumber(value)) out.push([`${name} · ${model}`, value]);
  });
  return out;
}

function isNumber(value: ParamValue): value is number {
  return typeof value === 'number';
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}
