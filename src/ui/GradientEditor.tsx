import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent, PointerEvent } from 'react';

/**
 * A per-layer curve over the layer stack: anchors spread evenly from the first layer to the last (as mergekit spreads a
 * gradient list), dragged vertically or moved with the arrow keys; one curve per filter tab (and new ones for any part
 * of a tensor name); presets; and the table of values each layer, the embeddings, the final norm and the LM head
 * resolve to. Presentational: the caller owns the curves.
 */
export interface GradientEditorProps {
  readonly name: string;
  readonly filters: readonly { readonly key: string; readonly label: string; readonly own: boolean }[];
  readonly active: string;
  readonly anchors: readonly number[];
  readonly min: number;
  readonly max: number;
  readonly layers: number;
  readonly layersNote: string;
  /** Resolved value of the active curve at each layer (x positions j/(L-1)). */
  readonly layerValues: readonly (number | undefined)[];
  /** Rows of the table: each layer, then the tensors outside the layer stack. */
  readonly table: readonly { readonly label: string; readonly tensor?: string; readonly values: readonly (number | undefined)[] }[];
  readonly presets: readonly { readonly id: string; readonly label: string }[];
  /** A layer to highlight (picked in the weight lens): its dot on the curve and its table row. */
  readonly focusedLayer?: number | undefined;
  onActive(key: string): void;
  onAnchors(anchors: readonly number[]): void;
  onPreset(id: string): void;
  onAnchorCount(count: number): void;
  /** Gives the active filter its own curve (copy of the default), or drops it back to the default. */
  onOwnCurve(own: boolean): void;
  /** Adds a curve for tensors whose name contains `filter`; returns why not, or undefined when added. */
  onAddFilter(filter: string): string | undefined;
}

const W = 300;
const H = 120;
const PAD = 10;

export function GradientEditor(props: GradientEditorProps) {
  const { name, filters, active, anchors, min, max, layers, layersNote, layerValues, table, presets } = props;
  const [drag, setDrag] = useState<{ index: number; anchors: number[] } | undefined>(undefined);
  const [newFilter, setNewFilter] = useState('');
  const [filterError, setFilterError] = useState<string | undefined>(undefined);
  const shown = drag?.anchors ?? anchors;
  const span = max - min || 1;
  const x = (i: number, n: number) => PAD + (n <= 1 ? (W - 2 * PAD) / 2 : (i / (n - 1)) * (W - 2 * PAD));
  const y = (v: number) => PAD + (1 - (v - min) / span) * (H - 2 * PAD);
  const valueAt = (clientY: number, rect: DOMRect) => {
    const v = max - ((clientY - rect.top - PAD) / (H - 2 * PAD)) * span;
    return Math.round(Math.min(max, Math.max(min, v)) * 100) / 100;
  };
  const activeFilter = filters.find((f) => f.key === active);
  const focusedRow = useRef<HTMLTableRowElement>(null);
  useEffect(() => {
    // A block body: newer browsers return a promise from scrollIntoView, which must not become the effect's cleanup.
    void focusedRow.current?.scrollIntoView({ block: 'nearest' });
  }, [props.focusedLayer]);
  const editable = activeFilter?.own === true;

  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (drag === undefined) return;
    const next = [...drag.anchors];
    next[drag.index] = valueAt(e.clientY, e.currentTarget.getBoundingClientRect());
    setDrag({ index: drag.index, anchors: next });
  };
  const endDrag = () => {
    if (drag !== undefined) props.onAnchors(drag.anchors);
    setDrag(undefined);
  };
  const onKey = (i: number) => (e: KeyboardEvent<SVGCircleElement>) => {
    const step = (e.shiftKey ? 0.1 : 0.01) * span;
    const delta = e.key === 'ArrowUp' ? step : e.key === 'ArrowDown' ? -step : 0;
    if (delta === 0) return;
    e.preventDefault();
    const next = [...anchors];
    next[i] = Math.round(Math.min(max, Math.max(min, (anchors[i] as number) + delta)) * 1000) / 1000;
    props.onAnchors(next);
  };

  return (
    <div className="gradient-editor" data-testid={`gradient-${name}`}>
      <div className="tabs" role="tablist" aria-label={`Curves of ${name}`}>
        {filters.map((f) => (
          <button key={f.key} type="button" role="tab" aria-selected={f.key === active} className={f.key === active ? 'tab is-active' : 'tab'} onClick={() => props.onActive(f.key)}>
            {f.label}
            {f.own ? '' : ' (default)'}
          </button>
        ))}
      </div>
      <form
        className="row add-filter"
        onSubmit={(e) => {
          e.preventDefault();
          const problem = props.onAddFilter(newFilter);
          setFilterError(problem);
          if (problem === undefined) setNewFilter('');
        }}
      >
        <input aria-label={`New filter for ${name}`} placeholder="tensor name part, e.g. q_proj" value={newFilter} onChange={(e) => setNewFilter(e.target.value)} />
        <button type="submit" className="small" disabled={newFilter.trim() === ''}>
          Add curve
        </button>
        {filterError === undefined ? null : <span className="error-text">{filterError}</span>}
      </form>
      <svg
        className="curve"
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="group"
        aria-label={`${name} over ${layers} layers`}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerLeave={endDrag}
      >
        <line x1={PAD} x2={W - PAD} y1={y(min)} y2={y(min)} className="axis" />
        <line x1={PAD} x2={W - PAD} y1={y(max)} y2={y(max)} className="axis" />
        {layerValues.map((v, j) =>
          v === undefined ? null : j === props.focusedLayer ? (
            <circle key={j} cx={x(j, layers)} cy={y(v)} r={4.5} className="layer-dot is-focused" data-testid="focused-layer-dot" />
          ) : (
            <circle key={j} cx={x(j, layers)} cy={y(v)} r={2.2} className="layer-dot" />
          ),
        )}
        <polyline className={editable ? 'line' : 'line is-inherited'} points={(shown.length === 1 ? [shown[0] as number, shown[0] as number] : shown).map((v, i, all) => `${x(i, all.length)},${y(v)}`).join(' ')} />
        {editable
          ? shown.map((v, i) => (
              <circle
                key={i}
                cx={x(i, shown.length)}
                cy={y(v)}
                r={6}
                className="anchor"
                tabIndex={0}
                role="slider"
                aria-label={`${name} anchor ${i + 1} of ${shown.length}`}
                aria-valuemin={min}
                aria-valuemax={max}
                aria-valuenow={v}
                onKeyDown={onKey(i)}
                onPointerDown={(e) => {
                  e.currentTarget.ownerSVGElement?.setPointerCapture(e.pointerId);
                  setDrag({ index: i, anchors: [...anchors] });
                }}
              />
            ))
          : null}
      </svg>
      <div className="curve-axis muted small-text">
        <span>layer 0</span>
        <span>{layersNote}</span>
        <span>layer {Math.max(0, layers - 1)}</span>
      </div>
      <div className="toolbar left">
        {editable ? (
          <>
            {presets.map((p) => (
              <button key={p.id} type="button" className="small" onClick={() => props.onPreset(p.id)}>
                {p.label}
              </button>
            ))}
            <label className="inline-field">
              anchors
              <input type="number" min={1} max={16} value={anchors.length} onChange={(e) => props.onAnchorCount(Number(e.target.value))} />
            </label>
            {active === filters[0]?.key ? null : (
              <button type="button" className="small" onClick={() => props.onOwnCurve(false)}>
                Use default curve
              </button>
            )}
          </>
        ) : (
          <button type="button" className="small primary" onClick={() => props.onOwnCurve(true)}>
            Give {activeFilter?.label ?? active} its own curve
          </button>
        )}
      </div>
      <div className="layer-table-wrap">
        <table className="layer-table" aria-label={`${name} per layer`}>
          <thead>
            <tr>
              <th>layer</th>
              {filters.map((f) => (
                <th key={f.key}>{f.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.map((row) => (
              <tr
                key={row.label}
                {...(props.focusedLayer !== undefined && row.label === String(props.focusedLayer) ? { ref: focusedRow, className: 'is-focused', 'aria-current': 'true' as const } : {})}
              >
                <td title={row.tensor}>{row.label}</td>
                {row.values.map((v, k) => (
                  <td key={k}>{v === undefined ? '—' : v.toFixed(3)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
