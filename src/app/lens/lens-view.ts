/**
 * The lens panel's pure parts: which two models a stage compares, where each model is read from, the stage's t per
 * layer, the heatmap's colours and geometry, and "where the merge landed" from the output's lenses against each parent.
 */
import type { SourceSpec } from '../../engine/api';
import type { LensReport } from '../../methods/lens-report';
import { lensGrid, LENS_COLUMNS, usedColumns } from '../../methods/lens-grid';
import type { LensColumn, LensRow } from '../../methods/lens-grid';
import type { MetricName } from '../../methods/lens-stats';
import { formatModelRef, parseModelRefString, splitLoraRef } from '../../recipe/model-ref';
import type { MergeStage } from '../../recipe/types';
import { DEFAULT_FILTER, resolvedTable } from '../../state/gradient';
import { stageInputs, stageParameters } from '../../state/recipe-edit';
import { isHubId } from '../../state/run-input';
import type { SourcesSlice } from '../../state/sources-slice';

/** The stage's base (or first input) and the first other input, as reference strings. */
export function stagePair(stage: MergeStage | undefined): { a: string | undefined; b: string | undefined } {
  if (stage === undefined) return { a: undefined, b: undefined };
  const refs = [...new Set(stageInputs(stage).map((input) => formatModelRef(input.ref)))];
  return { a: refs[0], b: refs[1] };
}

/**
 * Where the engine reads a model: the files of a folder added in this page, else the Hub. A `model+lora` reference is
 * read as its model (the lens does not bake adapters). Undefined: not readable here.
 */
export function sourceOf(ref: string, localFiles: SourcesSlice['localFiles']): SourceSpec | undefined {
  const { model } = splitLoraRef(ref);
  const local = localFiles[model];
  if (local !== undefined) return { kind: 'files', name: local.name, files: local.files };
  if (!isHubId(model)) return undefined;
  const parsed = parseModelRefString(model);
  if (typeof parsed === 'string') return undefined;
  return { kind: 'hub', repo: parsed.path, revision: parsed.revision };
}

/** The stage's `t` at each of `layers` layers (its default curve), or undefined when it has no numeric `t`. */
export function stageT(stage: MergeStage | undefined, layers: number): (number | undefined)[] | undefined {
  const setting = stage === undefined ? undefined : stageParameters(stage)['t'];
  if (setting === undefined || layers <= 0) return undefined;
  const values = resolvedTable(setting, layers, [DEFAULT_FILTER]).map((row) => row.values[0]);
  return values.some((v) => v !== undefined) ? values : undefined;
}

/** Perceptually ordered stops (viridis), low → high. */
const STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour of `x` in [0, 1]. */
export function colourAt(x: number): string {
  const v = Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(v));
  const f = v - i;
  const [r0, g0, b0] = STOPS[i] as readonly [number, number, number];
  const [r1, g1, b1] = STOPS[i + 1] as readonly [number, number, number];
  return `rgb(${Math.round(r0 + (r1 - r0) * f)}, ${Math.round(g0 + (g1 - g0) * f)}, ${Math.round(b0 + (b1 - b0) * f)})`;
}

/** The heatmap's columns: modules in order; `other` only for what has no module (embeddings, head). */
export function heatmapColumns(rows: readonly LensRow[]): LensColumn[] {
  const used = usedColumns(rows);
  return LENS_COLUMNS.filter((c) => used.includes(c));
}

/**
 * Smallest and largest value of `metric` over the cells, or over one column's (equal when all agree; [0, 1] when none
 * has one).
 */
export function metricRange(rows: readonly LensRow[], metric: MetricName, column?: LensColumn): [number, number] {
  const cells = rows.flatMap((r) => (column === undefined ? Object.values(r.cells) : [r.cells[column]]));
  const values = cells.map((c) => c?.metrics[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return values.length === 0 ? [0, 1] : [Math.min(...values), Math.max(...values)];
}

/** Sized to fit the 345 px right column: 9 module columns and the t bar in under 300 px. */
/** Whether values spread over more than a factor of 10 (all positive) are coloured on a log scale. */
export function logScale(lo: number, hi: number): boolean {
  return lo > 0 && hi / lo > 10;
}

/** Where `value` sits between `lo` and `hi` in [0, 1], on a log scale when {@link logScale} says so. */
export function scalePosition(value: number, lo: number, hi: number): number {
  if (!(hi > lo)) return 0.5;
  return logScale(lo, hi) ? Math.log(value / lo) / Math.log(hi / lo) : (value - lo) / (hi - lo);
}

export const GEOMETRY = { labelWidth: 64, cellWidth: 22, rowHeight: 16, headerHeight: 34, tWidth: 28, gap: 4 } as const;

/** The heatmap cell under a point of the canvas (CSS pixels), if any. */
export function cellAt(x: number, y: number, rowCount: number, columns: readonly LensColumn[]): { row: number; column: LensColumn | undefined } | undefined {
  const { labelWidth, cellWidth, rowHeight, headerHeight } = GEOMETRY;
  const row = Math.floor((y - headerHeight) / rowHeight);
  if (y < headerHeight || row < 0 || row >= rowCount) return undefined;
  const c = Math.floor((x - labelWidth) / cellWidth);
  return { row, column: x >= labelWidth && c < columns.length ? columns[c] : undefined };
}

export interface Landed {
  readonly label: string;
  readonly layer: number | undefined;
  /** ‖merge − a‖ / ‖a‖ and ‖merge − b‖ / ‖b‖ over the row's tensors. */
  readonly toA: number | null;
  readonly toB: number | null;
  /** toA / (toA + toB): 0 = at a, 1 = at b. */
  readonly position: number | null;
}

/**
 * Per layer, how far the merge output is from each parent. `outVsA` and `outVsB` are lenses with the parent as
 * model `a`, so each relative difference is measured against that parent's norm.
 */
export function whereLanded(aVsOut: LensReport, bVsOut: LensReport): Landed[] {
  const fromB = new Map(lensGrid(bVsOut).map((row) => [row.label, row]));
  return lensGrid(aVsOut).map((row) => {
    const toA = row.all.relative_difference;
    const toB = fromB.get(row.label)?.all.relative_difference ?? null;
    const position = toA === null || toB === null || toA + toB === 0 ? null : toA / (toA + toB);
    return { label: row.label, layer: row.key.kind === 'layer' ? row.key.layer : undefined, toA, toB, position };
  });
}
