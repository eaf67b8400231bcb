import { useState } from 'react';

import { formatModelRef } from '../../recipe/model-ref';
import { useAppStore } from '../../state/hooks';
import { allModelRefs } from '../../state/recipe-graph';
import { sliceProblems } from '../../state/slice-edits';
import { sourceEntryOf } from '../../state/sources-slice';

/** A stage's `slices:` (layer stacking): per slice, each source's model and layer range, checked against layer counts. */
export function SliceEditor({ index }: { index: number }) {
  const stages = useAppStore((s) => s.recipe.stages);
  const stage = stages[index];
  const looseModels = useAppStore((s) => s.looseModels);
  const sources = useAppStore((s) => s.sources);
  const setSliceSource = useAppStore((s) => s.setSliceSource);
  const addSlice = useAppStore((s) => s.addSlice);
  const removeSlice = useAppStore((s) => s.removeSlice);
  const [error, setError] = useState<string | undefined>(undefined);
  if (stage?.slices === undefined) return null;
  const layersOf = (ref: string) => {
    const entry = sourceEntryOf(sources, ref);
    return entry?.status === 'ready' ? entry.summary.layers : undefined;
  };
  const problems = sliceProblems(stage, layersOf);
  const refs = allModelRefs({ stages, looseModels });
  const attempt = (work: () => void) => {
    try {
      work();
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="slice-editor" data-testid="slice-editor">
      <h3>Slices</h3>
      <ol className="slice-list">
        {stage.slices.map((slice, i) => (
          <li key={i} className="slice-item" data-testid={`slice-${i + 1}`}>
            <div className="input-head">
              <strong>Slice {i + 1}</strong>
              <button type="button" className="icon" aria-label={`Remove slice ${i + 1}`} onClick={() => attempt(() => removeSlice(index, i))} disabled={stage.slices?.length === 1}>
                ×
              </button>
            </div>
            {slice.sources.map((source, j) => {
              const ref = formatModelRef(source.model);
              const layers = layersOf(ref);
              const [start, end] = source.layerRange ?? [0, layers ?? 0];
              const setRange = (nextStart: number, nextEnd: number) => attempt(() => setSliceSource(index, i, j, { layerRange: [nextStart, nextEnd] }));
              return (
                <div key={j} className="slice-source">
                  <select aria-label={`Slice ${i + 1} model`} value={ref} onChange={(e) => attempt(() => setSliceSource(index, i, j, { model: e.target.value }))}>
                    {(refs.includes(ref) ? refs : [ref, ...refs]).map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                  <label className="inline-field">
                    from
                    <input type="number" aria-label={`Slice ${i + 1} first layer`} min={0} value={start} onChange={(e) => setRange(Number(e.target.value), end)} />
                  </label>
                  <label className="inline-field">
                    to
                    <input type="number" aria-label={`Slice ${i + 1} end layer`} min={1} value={end} onChange={(e) => setRange(start, Number(e.target.value))} />
                  </label>
                  <span className="muted small-text">{layers === undefined ? 'layers unknown' : `of ${layers}`}</span>
                </div>
              );
            })}
          </li>
        ))}
      </ol>
      <button type="button" className="small" onClick={() => attempt(() => addSlice(index))}>
        Add slice
      </button>
      {error === undefined ? null : <p className="field-error">{error}</p>}
      {problems.length === 0 ? null : (
        <ul className="slice-problems" data-testid="slice-problems">
          {problems.map((p) => (
            <li key={p} className="field-error">
              {p}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
