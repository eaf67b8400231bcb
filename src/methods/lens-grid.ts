/**
 * The lens report arranged as a grid of layers × modules (q, k, v, o, gate, up, down, norms; embeddings and the head
 * in their own rows), each cell's metrics recomputed from its tensors' summed statistics; and the report as CSV and
 * JSON. Shared by the CLI and the studio's heatmap.
 */
import { layerIndexOf } from '../shared/layer-name';
import type { LensReport, LensTensor } from './lens-report';
import { addSums, emptySums, metricsOf } from './lens-stats';
import type { LensMetrics, LensSums, MetricName } from './lens-stats';

export const LENS_COLUMNS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'norms', 'other'] as const;
export type LensColumn = (typeof LENS_COLUMNS)[number];

/** A grid row: a transformer layer, the embeddings, or the head (the final norm and the LM head). */
export type LensRowKey = { readonly kind: 'layer'; readonly layer: number } | { readonly kind: 'embed' } | { readonly kind: 'head' };

export interface LensCell {
  readonly metrics: LensMetrics;
  readonly tensors: readonly LensTensor[];
}

export interface LensRow {
  readonly key: LensRowKey;
  readonly label: string;
  readonly cells: Partial<Record<LensColumn, LensCell>>;
  /** Every tensor of the row together. */
  readonly all: LensMetrics;
}

const MODULES: readonly (readonly [RegExp, LensColumn])[] = [
  [/(^|\.)q_proj\.|\.query\./, 'q'],
  [/(^|\.)k_proj\.|\.key\./, 'k'],
  [/(^|\.)v_proj\.|\.value\./, 'v'],
  [/(^|\.)o_proj\.|\.dense\./, 'o'],
  [/(^|\.)(gate_proj|w1)\./, 'gate'],
  [/(^|\.)(up_proj|w3)\./, 'up'],
  [/(^|\.)(down_proj|w2)\./, 'down'],
  [/norm/, 'norms'],
];

/** Where a tensor goes in the grid. */
export function lensPlace(name: string): { row: LensRowKey; column: LensColumn } {
  const layer = layerIndexOf(name);
  const column = MODULES.find(([re]) => re.test(name))?.[1] ?? 'other';
  if (layer !== undefined) return { row: { kind: 'layer', layer }, column };
  if (/embed|wte|tok_embeddings/.test(name)) return { row: { kind: 'embed' }, column };
  return { row: { kind: 'head' }, column };
}

function rowId(key: LensRowKey): string {
  return key.kind === 'layer' ? `layer ${key.layer}` : key.kind === 'embed' ? 'embeddings' : 'head';
}

/** The grid: embeddings first, then the layers in order, then the final norm and head. */
export function lensGrid(report: LensReport): LensRow[] {
  const withT = report.nearswap_t !== null;
  const rows = new Map<string, { key: LensRowKey; cells: Map<LensColumn, LensTensor[]> }>();
  for (const tensor of report.tensors) {
    const { row, column } = lensPlace(tensor.name);
    const id = rowId(row);
    let entry = rows.get(id);
    if (entry === undefined) rows.set(id, (entry = { key: row, cells: new Map() }));
    entry.cells.set(column, [...(entry.cells.get(column) ?? []), tensor]);
  }
  const order = (k: LensRowKey) => (k.kind === 'embed' ? -1 : k.kind === 'head' ? Number.MAX_SAFE_INTEGER : k.layer);
  return [...rows.values()]
    .sort((x, y) => order(x.key) - order(y.key))
    .map(({ key, cells }) => {
      const out: Partial<Record<LensColumn, LensCell>> = {};
      const all = emptySums();
      for (const [column, tensors] of cells) {
        const sums = combined(tensors);
        addSums(all, sums);
        out[column] = { metrics: metricsOf(sums, withT), tensors };
      }
      return { key, label: rowId(key), cells: out, all: metricsOf(all, withT) };
    });
}

function combined(tensors: readonly LensTensor[]): LensSums {
  const sums = emptySums();
  for (const t of tensors) addSums(sums, t.sums);
  return sums;
}

/** The columns that have at least one cell. */
export function usedColumns(rows: readonly LensRow[]): LensColumn[] {
  return LENS_COLUMNS.filter((c) => rows.some((r) => r.cells[c] !== undefined));
}

/** One number for a cell, or an empty string. */
export function formatMetric(value: number | null | undefined, metric: MetricName): string {
  if (value === null || value === undefined) return '';
  if (metric === 'angle_degrees') return value.toFixed(2);
  if (metric === 'norm_a' || metric === 'norm_b') return value.toPrecision(4);
  return value.toFixed(4);
}

/** A plain-text table of rows × columns for one metric (the CLI's output). */
export function lensTable(rows: readonly LensRow[], metric: MetricName): string {
  const columns = usedColumns(rows);
  const header = ['', ...columns];
  const body = rows.map((r) => [r.label, ...columns.map((c) => formatMetric(r.cells[c]?.metrics[metric], metric))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => (line[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

const CSV_FIELDS: readonly MetricName[] = ['norm_a', 'norm_b', 'cosine', 'relative_difference', 'angle_degrees', 'nearswap_swapped', 'nearswap_mean_weight'];

function csvValue(value: number | null): string {
  return value === null ? '' : String(value);
}

/** One CSV line per tensor: name, shape, the metrics and their standard errors. */
export function lensCsv(report: LensReport): string {
  const header = ['name', 'shape', 'sampled_elements', ...CSV_FIELDS, ...CSV_FIELDS.map((f) => `${f}_se`)];
  const lines = report.tensors.map((t) =>
    [
      t.name,
      t.shape.join('x'),
      t.sampled_elements === null ? '' : String(t.sampled_elements),
      ...CSV_FIELDS.map((f) => csvValue(t[f])),
      ...CSV_FIELDS.map((f) => csvValue(t.standard_error[f])),
    ].join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

/** The report as the CLI's JSON (`sums` left out: they are an internal detail of the grid). */
export function lensJson(report: LensReport): string {
  const tensors = report.tensors.map(({ sums: _sums, ...rest }) => rest);
  return `${JSON.stringify({ a: report.a, b: report.b, mode: report.mode, backend: report.backend, nearswap_t: report.nearswap_t, seconds: report.seconds, tensors, skipped: report.skipped }, null, 1)}\n`;
}
