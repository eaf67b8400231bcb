/**
 * The lens results as a few Markdown lines for the model card: how far apart the parents are (the layers that differ
 * most) and, after "Where the merge landed", where the merge sits between them.
 */
import type { LensReport } from '../../methods/lens-report';
import { lensGrid } from '../../methods/lens-grid';
import type { Landed } from './lens-view';

const TOP = 3;

/** The pair lens: overall relative difference range and the layers that differ most. */
export function pairSummary(report: LensReport): string {
  const layers = lensGrid(report).filter((r) => r.key.kind === 'layer' && r.all.relative_difference !== null);
  const head = `Weight lens of \`${report.a}\` against \`${report.b}\` (${report.mode === 'fast' ? 'fast, sampled' : 'exact'}, ${report.tensors.length} tensors).`;
  if (layers.length === 0) return head;
  const sorted = [...layers].sort((x, y) => (y.all.relative_difference ?? 0) - (x.all.relative_difference ?? 0));
  const most = sorted.slice(0, TOP).map((r) => `${r.label} (${(r.all.relative_difference ?? 0).toFixed(4)})`);
  return `${head} Layers that differ most (‖b − a‖ / ‖a‖): ${most.join(', ')}.`;
}

/** Where the merge landed: its mean position between the parents, and the layers nearest each. */
export function landedSummary(a: string, b: string, rows: readonly Landed[]): string | undefined {
  const placed = rows.filter((r): r is Landed & { position: number } => r.position !== null);
  if (placed.length === 0) return undefined;
  const mean = placed.reduce((sum, r) => sum + r.position, 0) / placed.length;
  const nearA = placed.reduce((best, r) => (r.position < best.position ? r : best));
  const nearB = placed.reduce((best, r) => (r.position > best.position ? r : best));
  return [
    `Where the merge landed between \`${a}\` (0) and \`${b}\` (1), from its weights: ${mean.toFixed(3)} on average over ${placed.length} rows;`,
    `nearest \`${a}\` at ${nearA.label} (${nearA.position.toFixed(3)}), nearest \`${b}\` at ${nearB.label} (${nearB.position.toFixed(3)}).`,
  ].join(' ');
}
