/**
 * The weight lens in the studio: two models (the selected merge stage's inputs by default, or any two of the recipe),
 * the cost before it starts, a run with progress and cancel, the heatmap of layers × modules with the stage's t beside
 * it (a click on a row picks that layer in the gradient editor), PNG and CSV export, and after a merge, where the
 * output landed between its parents.
 */
import { useEffect, useMemo, useRef, useState } from 'react';

import type { LensRequest } from '../../engine/api';
import type { LensMode } from '../../methods/lens-report';
import { lensCsv, lensGrid } from '../../methods/lens-grid';
import type { LensRowKey } from '../../methods/lens-grid';
import type { MetricName } from '../../methods/lens-stats';
import { formatBytes, formatDuration } from '../../shared/format';
import { useAppStore } from '../../state/hooks';
import { allModelRefs } from '../../state/recipe-graph';
import { saveBlob } from '../save-file';
import { LandedTable } from './LandedTable';
import { LensHeatmap } from './LensHeatmap';
import type { LensHeatmapHandle } from './LensHeatmap';
import { landedSummary, pairSummary } from './lens-summary';
import { colourAt, heatmapColumns, logScale, metricRange, sourceOf, stagePair, stageT, whereLanded } from './lens-view';
import { useLens } from './use-lens';
import './lens.css';

const METRICS: readonly { readonly id: MetricName; readonly label: string }[] = [
  { id: 'relative_difference', label: 'relative difference ‖b − a‖ / ‖a‖' },
  { id: 'cosine', label: 'cosine' },
  { id: 'angle_degrees', label: 'SLERP angle (°)' },
  { id: 'norm_a', label: 'norm of a' },
  { id: 'norm_b', label: 'norm of b' },
  { id: 'nearswap_swapped', label: 'NearSwap: share swapped at t' },
];

/** What the engine needs to compare `a` and `b`, or undefined when either cannot be read here (or they are one). */
function lensRequest(
  a: string | undefined,
  b: string | undefined,
  localFiles: Parameters<typeof sourceOf>[1],
  endpoint: string,
  token: string,
  mode: LensMode,
  nearswapT: number | undefined,
): LensRequest | undefined {
  const sa = a === undefined ? undefined : sourceOf(a, localFiles);
  const sb = b === undefined ? undefined : sourceOf(b, localFiles);
  if (sa === undefined || sb === undefined || a === b) return undefined;
  return { a: sa, b: sb, hub: { endpoint, ...(token === '' ? {} : { token }) }, mode, nearswapT };
}

export function LensPanel() {
  const stages = useAppStore((s) => s.recipe.stages);
  const looseModels = useAppStore((s) => s.looseModels);
  const selection = useAppStore((s) => s.selection);
  const localFiles = useAppStore((s) => s.localFiles);
  const endpoint = useAppStore((s) => s.hubEndpoint);
  const token = useAppStore((s) => s.hubToken);
  const focusedLayer = useAppStore((s) => s.focusedLayer);
  const focusLayer = useAppStore((s) => s.focusLayer);
  const select = useAppStore((s) => s.select);
  // The run's phase and finished folder only: progress ticks during a merge do not re-render (and redraw) the lens.
  const jobPhase = useAppStore((s) => s.job.phase);
  const output = useAppStore((s) => (s.job.phase === 'done' ? s.job.folder?.handle : undefined));
  const stageIndex = selection?.kind === 'stage' ? selection.index : stages.length === 1 ? 0 : undefined;
  const stage = stageIndex === undefined ? undefined : stages[stageIndex];
  const pair = stagePair(stage);
  const models = useMemo(() => allModelRefs({ stages, looseModels }), [stages, looseModels]);
  const [choice, setChoice] = useState<{ a?: string; b?: string }>({});
  const a = choice.a ?? pair.a ?? models[0];
  const b = choice.b ?? pair.b ?? models[1];
  const [mode, setMode] = useState<LensMode>('fast');
  const [metric, setMetric] = useState<MetricName>('relative_difference');
  const [perColumn, setPerColumn] = useState(false);
  const lens = useLens();
  const landed = useLens();
  const heatmap = useRef<LensHeatmapHandle>(null);
  const nearswapT = stage?.mergeMethod === 'nearswap' ? stageT(stage, 1)?.[0] : undefined;

  const request = useMemo(() => lensRequest(a, b, localFiles, endpoint, token, mode, nearswapT), [a, b, localFiles, endpoint, token, mode, nearswapT]);
  const [open, setOpen] = useState(false);
  const { estimate } = lens;
  useEffect(() => {
    // The cost, from headers only, whenever the panel is open and the pair or the mode changes.
    if (open && request !== undefined) void estimate(request);
  }, [open, request, estimate]);

  const report = lens.state.status === 'done' ? lens.state.reports[0] : undefined;
  const rows = useMemo(() => (report === undefined ? [] : lensGrid(report)), [report]);
  const columns = useMemo(() => heatmapColumns(rows), [rows]);
  const layerCount = rows.filter((r) => r.key.kind === 'layer').length;
  const t = useMemo(() => stageT(stage, layerCount), [stage, layerCount]);
  const metrics = METRICS.filter((m) => m.id !== 'nearswap_swapped' || report?.nearswap_t !== null);
  const [lo, hi] = metricRange(rows, metric);
  const [landedPair, setLandedPair] = useState<readonly [string, string]>(['a', 'b']);
  const landedRows = useMemo(() => {
    const [aVsOut, bVsOut] = landed.state.status === 'done' ? landed.state.reports : [];
    return aVsOut === undefined || bVsOut === undefined ? undefined : whereLanded(aVsOut, bVsOut);
  }, [landed.state]);
  const { reset: resetLanded } = landed;
  useEffect(() => {
    // A new run makes a new output: where the previous one landed no longer applies.
    if (jobPhase === 'running') resetLanded();
  }, [jobPhase, resetLanded]);
  const recordLens = useAppStore((s) => s.recordLens);
  useEffect(() => {
    // The last lens result goes into the model card draft ("where it landed" until the next run).
    if (report === undefined) return;
    recordLens(pairSummary(report), landedRows === undefined ? undefined : landedSummary(landedPair[0], landedPair[1], landedRows));
  }, [report, landedRows, landedPair, recordLens]);

  const onRow = (key: LensRowKey) => {
    if (key.kind !== 'layer') return;
    focusLayer(key.layer);
    if (stageIndex !== undefined && selection?.kind !== 'stage') select({ kind: 'stage', index: stageIndex });
  };
  const runLanded = () => {
    if (request === undefined || output === undefined) return;
    const out = { kind: 'directory' as const, handle: output };
    setLandedPair([a ?? 'a', b ?? 'b']);
    void landed.run([
      { ...request, b: out, mode: 'fast' },
      { ...request, a: request.b, b: out, mode: 'fast' },
    ]);
  };

  return (
    <details className="panel-section lens-panel" data-testid="lens-panel" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <h2>Weight lens</h2>
      </summary>
      <p className="muted small-text">
        {stage === undefined ? 'Any two models of the recipe' : `Inputs of ${stage.name ?? `stage ${(stageIndex ?? 0) + 1}`}`}: how much they differ, layer by layer.
      </p>
      <div className="lens-form">
        <ModelSelect side="a" value={a} models={models} onChange={(ref) => setChoice({ ...choice, a: ref })} />
        <ModelSelect side="b" value={b} models={models} onChange={(ref) => setChoice({ ...choice, b: ref })} />
        <label>
          mode
          <select value={mode} onChange={(e) => setMode(e.target.value as LensMode)} aria-label="Lens mode">
            <option value="fast">fast (sampled row segments, with error)</option>
            <option value="exact">exact (every weight)</option>
          </select>
        </label>
      </div>
      {[a, b].some((ref) => ref?.includes('+') === true) ? <p className="muted small-text">A model with a LoRA adapter is compared without it.</p> : null}
      <LensStatus state={lens.state} ready={request !== undefined} />
      <div className="toolbar left">
        {lens.state.status === 'running' ? (
          <button type="button" className="small" onClick={lens.cancel}>
            Cancel
          </button>
        ) : (
          <button type="button" className="small primary" disabled={request === undefined || lens.state.status === 'costing'} onClick={() => request !== undefined && void lens.run([request])}>
            Run lens
          </button>
        )}
        {report === undefined ? null : (
          <>
            <button type="button" className="small" onClick={() => void heatmap.current?.toPng().then((png) => png && saveBlob(png, 'lens.png'))}>
              Export PNG
            </button>
            <button type="button" className="small" onClick={() => saveBlob(new Blob([lensCsv(report)], { type: 'text/csv' }), 'lens.csv')}>
              Export CSV
            </button>
          </>
        )}
      </div>
      {report === undefined ? null : (
        <>
          <label className="lens-metric">
            colour by
            <select value={metric} onChange={(e) => setMetric(e.target.value as MetricName)} aria-label="Lens metric">
              {metrics.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
          <label className="lens-metric">
            <input type="checkbox" checked={perColumn} onChange={(e) => setPerColumn(e.target.checked)} />
            scale each module on its own
          </label>
          <div className="lens-legend small-text" aria-label="Colour scale">
            <span>{perColumn ? 'low' : lo.toPrecision(3)}</span>
            <span className="lens-ramp" style={{ background: `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(colourAt).join(', ')})` }} />
            <span>{perColumn ? 'high, per module' : hi.toPrecision(3)}</span>
            {!perColumn && logScale(lo, hi) ? <span className="muted">(log scale)</span> : null}
            <span className="muted">
              {report.mode === 'fast' ? 'fast: sampled row segments (hover for ± one standard error)' : 'exact'} · computed on the {report.backend} · {report.seconds.toFixed(2)} s
            </span>
          </div>
          <div className="lens-scroll">
            <LensHeatmap ref={heatmap} rows={rows} columns={columns} metric={metric} t={t} focusedLayer={focusedLayer} perColumn={perColumn} onRow={onRow} />
          </div>
          {output === undefined ? null : (
            <div className="toolbar left">
              <button type="button" className="small" onClick={runLanded} disabled={landed.state.status === 'running'}>
                Where the merge landed
              </button>
            </div>
          )}
          {landedRows !== undefined ? (
            <LandedTable rows={landedRows} t={t} />
          ) : landed.state.status === 'error' ? (
            <p className="error-text">{landed.state.message}</p>
          ) : null}
        </>
      )}
    </details>
  );
}

function ModelSelect(props: { side: 'a' | 'b'; value: string | undefined; models: readonly string[]; onChange: (ref: string) => void }) {
  return (
    <label>
      {props.side}
      <select value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value)} aria-label={`Model ${props.side}`}>
        {props.models.map((m) => (
          <option key={m}>{m}</option>
        ))}
      </select>
    </label>
  );
}

function LensStatus({ state, ready }: { state: ReturnType<typeof useLens>['state']; ready: boolean }) {
  if (!ready) return <p className="muted small-text">Pick two different models whose files the studio can read (Hub repos, or folders added in this page).</p>;
  if (state.status === 'costing') return <p className="muted small-text">Reading headers…</p>;
  if (state.status === 'costed')
    return (
      <p className="small-text" data-testid="lens-cost">
        {state.cost.tensorCount} tensors in common, {formatBytes(state.cost.bytesToRead)} to read, about {formatDuration(state.cost.estimatedSeconds)}
        {state.cost.skippedCount > 0 ? ` (${state.cost.skippedCount} left out)` : ''}.
      </p>
    );
  if (state.status === 'running')
    return (
      <p className="small-text">
        <progress max={Math.max(state.total, 1)} value={state.done} aria-label="Lens progress" /> {state.done} / {state.total} tensors
      </p>
    );
  if (state.status === 'cancelled') return <p className="muted small-text">Cancelled.</p>;
  if (state.status === 'error') return <p className="error-text">{state.message}</p>;
  return null;
}
