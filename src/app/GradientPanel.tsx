/**
 * The gradient editor for one numeric parameter of a stage (or of one input model's entry, e.g. `weight` per model),
 * wired to the recipe (writes mergekit's notation).
 */
import { useState } from 'react';

import type { ParamSpec } from '../methods/types';
import { formatModelRef } from '../recipe/model-ref';
import { useAppStore } from '../state/hooks';
import { COMMON_FILTERS, DEFAULT_FILTER, PRESETS, curvesToSetting, filterProblem, nonLayerRows, resample, resolvedTable, settingToCurves } from '../state/gradient';
import type { Curves } from '../state/gradient';
import { stageInputs } from '../state/recipe-graph';
import { stageParameters } from '../state/stage-edits';
import { sourceEntryOf } from '../state/sources-slice';
import { GradientEditor } from '../ui/GradientEditor';

/** Layers drawn when no input's headers are loaded yet. */
const ASSUMED_LAYERS = 8;

export function GradientPanel({ index, param, model }: { index: number; param: ParamSpec; model?: string }) {
  const stage = useAppStore((s) => s.recipe.stages[index]);
  const sources = useAppStore((s) => s.sources);
  const setParameter = useAppStore((s) => s.setParameter);
  const focusedLayer = useAppStore((s) => s.focusedLayer);
  const [active, setActive] = useState<string>(DEFAULT_FILTER);
  if (stage === undefined) return null;
  const min = param.min ?? 0;
  const max = param.max ?? 1;
  const setting = stageParameters(stage, model)[param.name];
  const curves = settingToCurves(setting, typeof param.default === 'number' ? param.default : (min + max) / 2);
  if (curves === undefined) return <p className="muted">This value is not numeric: edit it as text above.</p>;
  const loaded = stageInputs(stage)
    .map((input) => sourceEntryOf(sources, formatModelRef(input.ref)))
    .find((entry) => entry?.status === 'ready');
  const layers = loaded?.status === 'ready' ? loaded.summary.layers : ASSUMED_LAYERS;
  const layersNote = loaded?.status === 'ready' ? `${layers} layers (${loaded.summary.ref})` : `${layers} layers assumed (no headers read)`;
  const keys = [DEFAULT_FILTER, ...COMMON_FILTERS, ...Object.keys(curves).filter((k) => k !== DEFAULT_FILTER && !(COMMON_FILTERS as readonly string[]).includes(k))];
  const filters = keys.map((key) => ({ key, label: key === DEFAULT_FILTER ? 'default' : key, own: key in curves }));
  const activeKey = keys.includes(active) ? active : DEFAULT_FILTER;
  const anchors = curves[activeKey] ?? curves[DEFAULT_FILTER] ?? [min];
  const write = (next: Curves) => setParameter(index, param.name, curvesToSetting(next), model);
  const resolved = curvesToSetting(curves);
  const layerRows = resolvedTable(resolved, layers, keys);
  const table = [...layerRows.map((row) => ({ label: String(row.layer), values: row.values })), ...nonLayerRows(resolved, keys)];
  const column = keys.indexOf(activeKey);
  return (
    <GradientEditor
      name={model === undefined ? param.name : `${param.name} of ${model}`}
      filters={filters}
      active={activeKey}
      anchors={anchors}
      min={min}
      max={max}
      layers={layers}
      layersNote={layersNote}
      layerValues={layerRows.map((row) => row.values[column])}
      table={table}
      presets={PRESETS}
      focusedLayer={focusedLayer}
      onActive={setActive}
      onAnchors={(next) => write({ ...curves, [activeKey]: next })}
      onPreset={(id) => {
        const preset = PRESETS.find((p) => p.id === id);
        if (preset !== undefined) write({ ...curves, [activeKey]: preset.anchors.map((v) => min + v * (max - min)) });
      }}
      onAnchorCount={(count) => {
        if (Number.isInteger(count) && count >= 1 && count <= 16) write({ ...curves, [activeKey]: resample(anchors, count) });
      }}
      onAddFilter={(filter) => {
        const problem = filterProblem(curves, filter);
        if (problem !== undefined) return problem;
        write({ ...curves, [filter.trim()]: [...(curves[DEFAULT_FILTER] ?? anchors)] });
        setActive(filter.trim());
        return undefined;
      }}
      onOwnCurve={(own) => {
        if (own) write({ ...curves, [activeKey]: [...(curves[DEFAULT_FILTER] ?? anchors)] });
        else {
          const { [activeKey]: _dropped, ...rest } = curves;
          write(rest);
        }
      }}
    />
  );
}
