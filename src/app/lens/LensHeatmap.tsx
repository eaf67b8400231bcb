/**
 * The lens heatmap: layers × modules on a <canvas>, coloured by one metric, with the stage's t per layer drawn as a bar
 * beside each row; the exact numbers of the cell under the pointer in a tooltip; a click on a row picks that layer.
 * A plain canvas: a grid of rectangles needs no charting library, and the canvas is what the PNG export saves.
 */
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import type { KeyboardEvent, MouseEvent } from 'react';

import { formatMetric } from '../../methods/lens-grid';
import type { LensColumn, LensRow, LensRowKey } from '../../methods/lens-grid';
import type { MetricName } from '../../methods/lens-stats';
import { cellAt, colourAt, GEOMETRY, metricRange, scalePosition } from './lens-view';

export interface LensHeatmapProps {
  readonly rows: readonly LensRow[];
  readonly columns: readonly LensColumn[];
  readonly metric: MetricName;
  /** The stage's t per layer (index = layer), drawn beside the rows. */
  readonly t: readonly (number | undefined)[] | undefined;
  readonly focusedLayer: number | undefined;
  /** Colour each module (column) on its own range rather than one range for the grid. */
  readonly perColumn: boolean;
  onRow(key: LensRowKey): void;
}

export interface LensHeatmapHandle {
  toPng(): Promise<Blob | null>;
}

interface Hover {
  readonly x: number;
  readonly y: number;
  readonly text: string;
}

function tooltipText(row: LensRow, column: LensColumn | undefined, metric: MetricName, t: number | undefined): string {
  const cell = column === undefined ? undefined : row.cells[column];
  const head = `${row.label}${column === undefined ? '' : ` · ${column}`}`;
  const metrics = cell?.metrics ?? row.all;
  const error = cell?.tensors.length === 1 ? cell.tensors[0]?.standard_error[metric] : undefined;
  const value = metrics[metric];
  const main = value === null ? `${metric}: none (a norm is 0)` : `${metric}: ${value.toPrecision(6)}${error !== undefined && error !== null && error > 0 ? ` ± ${error.toPrecision(2)}` : ''}`;
  const others = (['cosine', 'relative_difference', 'angle_degrees', 'norm_a', 'norm_b'] as const).filter((m) => m !== metric).map((m) => `${m} ${formatMetric(metrics[m], m) || '—'}`);
  return [head, main, ...others, ...(t === undefined ? [] : [`t ${t.toFixed(3)}`]), ...(cell === undefined ? [] : cell.tensors.map((x) => x.name))].join('\n');
}

export const LensHeatmap = forwardRef<LensHeatmapHandle, LensHeatmapProps>(function LensHeatmap({ rows, columns, metric, t, focusedLayer, perColumn, onRow }, ref) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<Hover | undefined>(undefined);
  const { labelWidth, cellWidth, rowHeight, headerHeight, tWidth, gap } = GEOMETRY;
  const width = labelWidth + columns.length * cellWidth + (t === undefined ? 0 : gap + tWidth);
  const height = headerHeight + rows.length * rowHeight;
  const tOf = (row: LensRow) => (row.key.kind === 'layer' ? t?.[row.key.layer] : undefined);

  useImperativeHandle(ref, () => ({ toPng: () => new Promise((resolve) => (canvas.current === null ? resolve(null) : canvas.current.toBlob(resolve, 'image/png'))) }), []);

  useEffect(() => {
    const el = canvas.current;
    const ctx = el?.getContext('2d');
    if (el === null || el === undefined || ctx === null || ctx === undefined) return;
    const dpr = globalThis.devicePixelRatio || 1;
    el.width = Math.round(width * dpr);
    el.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const style = getComputedStyle(el);
    const text = style.color || '#ddd';
    ctx.fillStyle = style.backgroundColor && style.backgroundColor !== 'rgba(0, 0, 0, 0)' ? style.backgroundColor : '#1b1d22';
    ctx.fillRect(0, 0, width, height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = text;
    // Column names slanted, so short cells still carry names like "norms".
    ctx.textAlign = 'left';
    const slanted = (label: string, x: number) => {
      ctx.save();
      ctx.translate(x, headerHeight - 4);
      ctx.rotate(-Math.PI / 4);
      ctx.fillText(label, 0, 0);
      ctx.restore();
    };
    columns.forEach((c, i) => slanted(c, labelWidth + (i + 0.3) * cellWidth));
    if (t !== undefined) slanted('t', labelWidth + columns.length * cellWidth + gap + tWidth / 2 - 3);
    const ranges = new Map(columns.map((c) => [c, metricRange(rows, metric, perColumn ? c : undefined)]));
    rows.forEach((row, r) => {
      const y = headerHeight + r * rowHeight;
      const focused = row.key.kind === 'layer' && row.key.layer === focusedLayer;
      ctx.textAlign = 'left';
      ctx.fillStyle = text;
      ctx.fillText(row.label, 4, y + rowHeight / 2);
      columns.forEach((c, i) => {
        const value = row.cells[c]?.metrics[metric];
        if (value === undefined) return;
        const [lo, hi] = ranges.get(c) as [number, number];
        ctx.fillStyle = value === null ? '#555' : colourAt(scalePosition(value, lo, hi));
        ctx.fillRect(labelWidth + i * cellWidth + 1, y + 1, cellWidth - 2, rowHeight - 2);
      });
      const tv = row.key.kind === 'layer' ? t?.[row.key.layer] : undefined;
      if (tv !== undefined) {
        const x0 = labelWidth + columns.length * cellWidth + gap;
        ctx.fillStyle = '#3a3f4b';
        ctx.fillRect(x0, y + 3, tWidth, rowHeight - 6);
        ctx.fillStyle = '#e0a040';
        ctx.fillRect(x0, y + 3, Math.max(0, Math.min(1, tv)) * tWidth, rowHeight - 6);
      }
      if (focused) {
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = 1.5;
        ctx.strokeRect(1, y + 0.75, width - 2, rowHeight - 1.5);
      }
    });
  }, [rows, columns, metric, t, focusedLayer, perColumn, width, height, labelWidth, cellWidth, rowHeight, headerHeight, tWidth, gap]);

  const locate = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    return { x, y, at: cellAt(x, y, rows.length, columns) };
  };
  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const { x, y, at } = locate(e);
    const row = at === undefined ? undefined : rows[at.row];
    setHover(row === undefined || at === undefined ? undefined : { x, y, text: tooltipText(row, at.column, metric, tOf(row)) });
  };
  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    const { at } = locate(e);
    const row = at === undefined ? undefined : rows[at.row];
    if (row !== undefined) onRow(row.key);
  };

  // Arrow keys move the picked layer up and down the stack, as a click on a row would.
  const layers = rows.flatMap((r) => (r.key.kind === 'layer' ? [r.key] : []));
  const onKey = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
    if (step === 0 || layers.length === 0) return;
    e.preventDefault();
    const at = layers.findIndex((k) => k.layer === focusedLayer);
    const next = layers[at < 0 ? 0 : Math.min(layers.length - 1, Math.max(0, at + step))];
    if (next !== undefined) onRow(next);
  };

  return (
    <div className="lens-heatmap">
      <canvas
        ref={canvas}
        style={{ width, height }}
        role="img"
        tabIndex={0}
        aria-label={`${metric} per layer and module; click a row, or use the arrow keys, to pick a layer in the gradient editor`}
        data-testid="lens-heatmap"
        onMouseMove={onMove}
        onMouseLeave={() => setHover(undefined)}
        onClick={onClick}
        onKeyDown={onKey}
      />
      {hover === undefined ? null : (
        <div className="lens-tooltip" role="tooltip" data-testid="lens-tooltip" style={{ left: Math.max(0, Math.min(hover.x + 12, width - 230)), top: hover.y + 14 }}>
          {hover.text}
        </div>
      )}
    </div>
  );
});
