/**
 * The right column's upper half: details of the selected node. A stage: method, inputs (each with its own
 * parameters), a way to wire inputs without dragging, and the global parameters. A model: its header facts or error,
 * its revision and a way to put a LoRA node on it. A LoRA node: the adapter's facts and whether it fits its model.
 */
import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';

import { StageParams } from '../canvas/StageParams';
import type { HubRef } from '../io/source/hub-refs';
import { nearSwapShare } from '../methods/nearswap-share';
import { METHODS, getMethod } from '../methods/registry';
import { formatModelRef, parseModelRefString, splitLoraRef } from '../recipe/model-ref';
import type { ModelRef } from '../recipe/types';
import { describeContext } from '../shared/errors';
import { loraProblem } from '../state/compatibility';
import { stageLoraDonorLoaded } from '../state/stage-lora-fit';
import { useAppStore } from '../state/hooks';
import { formatBytes, formatCount } from '../state/model-summary';
import { useSamplePairs } from '../state/nearswap-preview';
import { allModelRefs, distinctInputs, stageIndexOf, stageInputs } from '../state/recipe-graph';
import { sliceProblems } from '../state/slice-edits';
import type { InputRole, WireSource } from '../state/recipe-graph';
import { isHubId } from '../state/run-input';
import { sourceEntryOf } from '../state/sources-slice';
import { ErrorNote } from '../ui/ErrorNote';
import { GradientPanel } from './GradientPanel';
import { ModelFacts } from '../ui/ModelFacts';

/**
 * "+ Add merge…": a menu of the methods; picking one adds the merge node at once. A menu rather than a select, so it
 * never reads as the selected stage's method, and arrowing through it with the keyboard adds nothing by accident.
 */
function AddMergeMenu({ onAdd }: { onAdd(methodId: string): void }) {
  const menu = useRef<HTMLDetailsElement>(null);
  // A click elsewhere or Escape closes it, as menus do.
  useEffect(() => {
    const close = (event: Event) => {
      const details = menu.current;
      if (details === null || !details.open) return;
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !details.contains(event.target as Node)) details.open = false;
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, []);
  return (
    <details className="add-merge" ref={menu}>
      <summary>+ Add merge…</summary>
      <div className="add-merge-menu" role="group" aria-label="Add a merge node">
        {METHODS.map((m) => (
          <button
            key={m.id}
            type="button"
            className="small"
            title={m.label}
            onClick={() => {
              if (menu.current !== null) menu.current.open = false;
              onAdd(m.id);
            }}
          >
            {m.label}
          </button>
        ))}
      </div>
    </details>
  );
}

export function Inspector() {
  const selection = useAppStore((s) => s.selection);
  const stageCount = useAppStore((s) => s.recipe.stages.length);
  const addStage = useAppStore((s) => s.addStage);
  const select = useAppStore((s) => s.select);
  return (
    <section className="panel-section inspector" aria-labelledby="inspector-title">
      <div className="section-head">
        <h2 id="inspector-title">Inspector</h2>
        <AddMergeMenu onAdd={(methodId) => select({ kind: 'stage', index: addStage(methodId) })} />
      </div>
      {selection?.kind === 'stage' && selection.index < stageCount ? <StageInspector index={selection.index} /> : null}
      {selection?.kind === 'model' ? <ModelInspector ref_={selection.ref} /> : null}
      {selection?.kind === 'lora' ? <LoraInspector ref_={selection.ref} /> : null}
      {selection === undefined ? <p className="muted">Select a node on the canvas to edit it.</p> : null}
    </section>
  );
}

function StageInspector({ index }: { index: number }) {
  const stages = useAppStore((s) => s.recipe.stages);
  const looseModels = useAppStore((s) => s.looseModels);
  const wire = useAppStore((s) => s.wire);
  const disconnect = useAppStore((s) => s.disconnect);
  const removeStage = useAppStore((s) => s.removeStage);
  const select = useAppStore((s) => s.select);
  const stage = stages[index];
  const [pick, setPick] = useState('');
  const [role, setRole] = useState<InputRole>('model');
  if (stage === undefined) return null;
  const method = getMethod(stage.mergeMethod);
  const inputs = distinctInputs(stage);
  const used = new Set(inputs.map((i) => formatModelRef(i.ref)));
  const candidates = [
    ...allModelRefs({ stages, looseModels }).map((ref) => ({ value: `model:${ref}`, label: ref })),
    ...stages.flatMap((s, i) => (i === index ? [] : [{ value: `stage:${i}`, label: `${s.name ?? 'final merge'} (merge)` }])),
  ].filter((c) => !used.has(c.label.replace(/ \(merge\)$/, '')));
  const title = stage.name ?? 'Final merge';
  const connect = () => {
    if (pick === '') return;
    const source: WireSource = pick.startsWith('stage:') ? { kind: 'stage', index: Number(pick.slice(6)) } : { kind: 'model', ref: pick.slice(6) };
    if (wire(source, index, role) === undefined) setPick('');
  };
  return (
    <div className="stage-inspector" data-testid="stage-inspector">
      <div className="inspector-title">
        <strong>{title}</strong>
        <span className="muted">
          {method?.label ?? stage.mergeMethod}
          {method === undefined ? null : (
            <>
              {' · '}
              <a href={method.referenceUrl} target="_blank" rel="noreferrer">
                reference
              </a>
            </>
          )}
        </span>
        <button type="button" className="small danger" onClick={() => (removeStage(index), select(undefined))}>
          Delete merge
        </button>
      </div>
      <h3>Inputs</h3>
      {inputs.length === 0 ? <p className="muted">No inputs yet: wire models into the merge node, or pick one below.</p> : null}
      <ul className="input-list">
        {inputs.map((input, k) => {
          const ref = formatModelRef(input.ref);
          const isStage = stageIndexOf(stages, input.ref) !== undefined;
          return (
            <li key={`${ref}-${k}`} className="input-item">
              <div className="input-head">
                <span className={`role role-${input.role}`}>{input.role}</span>
                <span className="input-ref" title={ref}>
                  {ref}
                  {isStage ? ' (merge)' : ''}
                </span>
                <button type="button" className="icon" aria-label={`Disconnect ${ref}`} onClick={() => disconnect(index, ref)}>
                  ×
                </button>
              </div>
              {isStage ? null : <LoraControl index={index} modelRef={input.ref} />}
              {input.role === 'model' && stage.models !== undefined ? (
                <>
                  <StageParams index={index} scope="model" model={ref} idPrefix={`inspector-${index}-${k}`} />
                  <ModelCurves index={index} model={ref} />
                </>
              ) : null}
            </li>
          );
        })}
      </ul>
      <div className="row">
        <select aria-label="Input to connect" value={pick} onChange={(e) => setPick(e.target.value)}>
          <option value="">Input…</option>
          {candidates.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        <select aria-label="Connect as" value={role} onChange={(e) => setRole(e.target.value as InputRole)}>
          {method?.base === 'none' ? null : <option value="base">as base</option>}
          <option value="model">as model</option>
        </select>
        <button type="button" className="small" onClick={connect} disabled={pick === ''}>
          Connect
        </button>
      </div>
      {stage.slices === undefined ? null : <SliceEditor index={index} />}
      <h3>Parameters</h3>
      {stage.mergeMethod === 'nearswap' ? <NearSwapControl index={index} /> : null}
      <StageParams index={index} scope="global" idPrefix={`inspector-${index}`} />
      {(method?.params ?? [])
        .filter((p) => p.scope === 'global' && p.type === 'number')
        .map((p) => (
          <details key={p.name} className="curve-box" open={p.name === 't'}>
            <summary>
              Per-layer curve <code className="param-name">{p.name}</code>
            </summary>
            <GradientPanel index={index} param={p} />
          </details>
        ))}
    </div>
  );
}

/** A stage's `slices:` (layer stacking): per slice, each source's model and layer range, checked against layer counts. */
function SliceEditor({ index }: { index: number }) {
  const stage = useAppStore((s) => s.recipe.stages[index]);
  const stages = useAppStore((s) => s.recipe.stages);
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

/** Per-layer curves of one input model's numeric parameters (`weight`, `density`, …: mergekit takes gradients there too). */
function ModelCurves({ index, model }: { index: number; model: string }) {
  const methodId = useAppStore((s) => s.recipe.stages[index]?.mergeMethod);
  const params = (methodId === undefined ? undefined : getMethod(methodId))?.params.filter((p) => p.scope === 'model' && p.type === 'number') ?? [];
  return params.map((p) => (
    <details key={p.name} className="curve-box model-curve">
      <summary>
        Per-layer curve <code className="param-name">{p.name}</code>
      </summary>
      <GradientPanel index={index} param={p} model={model} />
    </details>
  ));
}

const T_MIN_EXP = -6;
const T_MAX_EXP = -1;

/** NearSwap's `t` on a log scale, with the share of weights that move at that t on sampled tensors of the two models. */
function NearSwapControl({ index }: { index: number }) {
  const stage = useAppStore((s) => s.recipe.stages[index]);
  const setParameter = useAppStore((s) => s.setParameter);
  const models = useAppStore((s) => s.models);
  const inputs = stage === undefined ? [] : stageInputs(stage);
  const baseRef = inputs.find((i) => i.role === 'base')?.ref;
  const otherRef = inputs.find((i) => i.role === 'model' && (baseRef === undefined || formatModelRef(i.ref) !== formatModelRef(baseRef)))?.ref;
  const samples = useSamplePairs(baseRef === undefined ? undefined : models[formatModelRef(baseRef)], otherRef === undefined ? undefined : models[formatModelRef(otherRef)]);
  const raw = stage?.parameters['t'];
  const t = typeof raw === 'number' && raw > 0 ? raw : 1e-4;
  const share = samples.status === 'ready' ? nearSwapShare(samples.pairs, t) : undefined;
  return (
    <div className="nearswap-control" data-testid="nearswap-control">
      <label className="row">
        <span>
          <code className="param-name">t</code> (log)
        </span>
        <input
          type="range"
          aria-label="NearSwap t (log scale)"
          min={T_MIN_EXP}
          max={T_MAX_EXP}
          step={0.05}
          value={Math.log10(t)}
          onChange={(e) => setParameter(index, 't', Number((10 ** Number(e.target.value)).toPrecision(2)))}
        />
        <output>{t.toExponential(1)}</output>
      </label>
      <p className="muted" data-testid="nearswap-share">
        {samples.status === 'idle' ? 'Read both models\' headers (base and one other) to see how many weights move.' : null}
        {samples.status === 'measuring' ? 'measuring…' : null}
        {samples.status === 'error' ? `Could not sample: ${samples.message}` : null}
        {share === undefined
          ? null
          : `${(share.swapped * 100).toFixed(1)}% of weights taken from the other model, mean w ${share.meanWeight.toFixed(3)} (${formatCount(share.elements)} sampled elements)`}
      </p>
    </div>
  );
}

/** An input's PEFT LoRA adapter: attach one (Hub id or folder, `model+lora` in the recipe) or remove it. */
function LoraControl({ index, modelRef }: { index: number; modelRef: ModelRef }) {
  const addLora = useAppStore((s) => s.addLora);
  const detachLora = useAppStore((s) => s.detachLora);
  const [adapter, setAdapter] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const ref = formatModelRef(modelRef);
  if (modelRef.lora !== undefined) {
    const lora = modelRef.lora.revision === undefined ? modelRef.lora.path : `${modelRef.lora.path}@${modelRef.lora.revision}`;
    return (
      <div className="row lora-row" data-testid="lora-attached">
        <span className="role role-lora">LoRA</span>
        <span className="input-ref">{lora}</span>
        <button type="button" className="small" onClick={() => detachLora(ref, index)}>
          Remove LoRA
        </button>
      </div>
    );
  }
  const attach = () => {
    const reason = addLora(ref, adapter, index);
    if (reason === undefined) setAdapter('');
    setError(reason);
  };
  return (
    <div className="row lora-row">
      <input aria-label={`LoRA adapter for ${ref}`} placeholder="LoRA: Hub id or folder" value={adapter} onChange={(e) => setAdapter(e.target.value)} />
      <button type="button" className="small" disabled={adapter.trim() === ''} onClick={attach}>
        Attach LoRA
      </button>
      {error === undefined ? null : <span className="error-text">{error}</span>}
    </div>
  );
}

/**
 * Pins a Hub model to a branch, tag or commit: the recipe reference becomes `repo@revision`. The repo's branches and
 * tags are offered as suggestions; any commit sha can be typed.
 */
function RevisionControl({ ref_ }: { ref_: string }) {
  const setRevision = useAppStore((s) => s.setRevision);
  const listRevisions = useAppStore((s) => s.listRevisions);
  const select = useAppStore((s) => s.select);
  const parsed = parseModelRefString(ref_);
  const current = typeof parsed === 'string' ? undefined : parsed.revision;
  const repo = typeof parsed === 'string' ? undefined : parsed.path;
  const [revision, setText] = useState(current ?? '');
  const [error, setError] = useState<string | undefined>(undefined);
  const [refs, setRefs] = useState<readonly HubRef[]>([]);
  useEffect(() => {
    if (repo === undefined || !isHubId(repo)) return;
    let live = true;
    // Without the list (offline, or no access yet) the field still takes any branch, tag or sha.
    listRevisions(repo).then(
      (found) => live && setRefs(found),
      () => live && setRefs([]),
    );
    return () => {
      live = false;
    };
  }, [repo, listRevisions]);
  const apply = () => {
    try {
      setRevision(ref_, revision);
      if (typeof parsed !== 'string') select({ kind: 'model', ref: formatModelRef(revision.trim() === '' ? { path: parsed.path } : { ...parsed, revision: revision.trim() }) });
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const listId = `revisions-${ref_}`;
  return (
    <>
      <div className="row">
        <input aria-label="Revision" list={listId} placeholder="branch, tag or commit sha (default: main)" value={revision} onChange={(e) => setText(e.target.value)} />
        <datalist id={listId} data-testid="revision-choices">
          {refs.map((r) => (
            <option key={`${r.kind}:${r.name}`} value={r.name} label={`${r.kind} · ${r.commit.slice(0, 7)}`} />
          ))}
        </datalist>
        <button type="button" className="small" onClick={apply}>
          Pin revision
        </button>
        {error === undefined ? null : <span className="error-text">{error}</span>}
      </div>
      {refs.length === 0 ? null : (
        <p className="muted small-text">
          {countOf(refs.filter((r) => r.kind === 'branch').length, 'branch', 'branches')}, {countOf(refs.filter((r) => r.kind === 'tag').length, 'tag', 'tags')}: pick one in the
          field, or paste a commit sha.
        </p>
      )}
    </>
  );
}

function ModelInspector({ ref_ }: { ref_: string }) {
  const entry = useAppStore((s) => sourceEntryOf(s.sources, ref_));
  return (
    <div className="model-inspector">
      <div className="inspector-title">
        <strong>{ref_}</strong>
        <span className="muted">{entry?.kind === 'local' ? 'local folder' : 'Hub model'}</span>
      </div>
      {entry?.kind === 'local' ? null : <RevisionControl key={ref_} ref_={ref_} />}
      <AddLoraNode model={ref_} />
      {entry === undefined ? <p className="muted">Its headers have not been read: add it from the Hub or a local folder.</p> : null}
      {entry?.status === 'loading' ? <p className="muted">Reading headers…</p> : null}
      {entry?.status === 'error' ? <ErrorNote message={entry.error.message} where={describeContext(entry.error.context)} hint={entry.error.hint} /> : null}
      {entry?.status === 'ready' ? (
        <ModelFacts
          facts={[
            { label: 'architecture', value: entry.summary.architecture ?? 'unknown' },
            { label: 'layers', value: String(entry.summary.layers) },
            ...(entry.summary.vocab === undefined ? [] : [{ label: 'vocabulary', value: formatCount(entry.summary.vocab) }]),
            { label: 'parameters', value: formatCount(entry.summary.params) },
            { label: 'dtype', value: entry.summary.dtype },
            { label: 'size', value: formatBytes(entry.summary.sizeBytes) },
            { label: 'revision', value: entry.summary.revision?.slice(0, 7) ?? 'local' },
          ]}
        />
      ) : null}
    </div>
  );
}

/** Puts a LoRA node on a model: the adapter's Hub id or folder; the node is then wired into merges like a model. */
function AddLoraNode({ model }: { model: string }) {
  const addLora = useAppStore((s) => s.addLora);
  const select = useAppStore((s) => s.select);
  const sources = useAppStore((s) => s.sources);
  // Adapter folders the studio has read are offered by name.
  const known = Object.entries(sources).flatMap(([ref, entry]) => (entry.status === 'ready' && entry.summary.adapter ? [ref] : []));
  const [adapter, setAdapter] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const add = (event: FormEvent) => {
    event.preventDefault();
    const reason = addLora(model, adapter);
    setError(reason);
    if (reason !== undefined) return;
    select({ kind: 'lora', ref: `${model}+${adapter.trim()}` });
    setAdapter('');
  };
  return (
    <form className="row lora-row" onSubmit={add}>
      <input aria-label={`LoRA adapter to put on ${model}`} list={`adapters-${model}`} placeholder="LoRA: Hub id or folder" value={adapter} onChange={(e) => setAdapter(e.target.value)} />
      <datalist id={`adapters-${model}`}>
        {known.map((ref) => (
          <option key={ref} value={ref} label="local adapter folder" />
        ))}
      </datalist>
      <button type="submit" className="small" disabled={adapter.trim() === ''}>
        Add LoRA node
      </button>
      {error === undefined ? null : <span className="error-text">{error}</span>}
    </form>
  );
}

/** A LoRA node: the adapter's facts, the model it bakes into and whether it fits it, the merges it feeds. */
function LoraInspector({ ref_ }: { ref_: string }) {
  const { model, lora } = splitLoraRef(ref_);
  const entry = useAppStore((s) => (lora === undefined ? undefined : s.adapters[lora]));
  const problem = useAppStore((s) => loraProblem(s.models, s.adapters, ref_, s.recipe.stages));
  // On a merge's output the fit is judged on the model whose tensors the merge outputs.
  const modelReady = useAppStore((s) => s.models[model] !== undefined || stageLoraDonorLoaded(s.recipe.stages, s.models, model));
  const stages = useAppStore((s) => s.recipe.stages);
  const removeLoraNode = useAppStore((s) => s.removeLoraNode);
  const select = useAppStore((s) => s.select);
  const feeds = stages.flatMap((stage) => (stageInputs(stage).some((input) => formatModelRef(input.ref) === ref_) ? [stage.name ?? 'the final merge'] : []));
  return (
    <div className="lora-inspector" data-testid="lora-inspector">
      <div className="inspector-title">
        <strong>{lora}</strong>
        <span className="muted">{entry?.kind === 'local' ? 'LoRA · local' : 'LoRA adapter'}</span>
        <button type="button" className="small danger" onClick={() => (removeLoraNode(ref_), select(undefined))}>
          Delete LoRA node
        </button>
      </div>
      <p className="muted">
        Baked into <strong>{model}</strong> as <code>W + (alpha/r)·B·A</code> before it is merged; the recipe says <code>{ref_}</code>.{' '}
        {feeds.length === 0 ? 'Wire it into a merge.' : `It feeds ${feeds.join(', ')}.`}
      </p>
      {entry?.status === 'loading' ? <p className="muted">Reading the adapter…</p> : null}
      {entry === undefined ? <p className="muted">The adapter has not been read: it is read from the Hub, or from a local folder added on the left.</p> : null}
      {entry?.status === 'error' ? <ErrorNote message={entry.error.message} where={describeContext(entry.error.context)} hint={entry.error.hint} /> : null}
      {entry?.status === 'ready' ? (
        <ModelFacts
          facts={[
            { label: 'rank r', value: String(entry.summary.rank) },
            { label: 'alpha', value: String(entry.summary.alpha) },
            { label: 'scale', value: String(Number(entry.summary.scale.toPrecision(4))) },
            { label: 'targets', value: entry.summary.targets.join(', ') },
            { label: 'weights', value: String(entry.summary.weights) },
            { label: 'parameters', value: formatCount(entry.summary.params) },
            { label: 'dtype', value: entry.summary.dtype },
            { label: 'size', value: formatBytes(entry.summary.sizeBytes) },
            { label: 'revision', value: entry.summary.revision?.slice(0, 7) ?? 'local' },
          ]}
        />
      ) : null}
      {problem !== undefined ? (
        <ErrorNote message={problem} where={`${lora} on ${model}`} hint="Use the adapter trained on this base model, or wire the right model into the LoRA node." />
      ) : entry?.status === 'ready' && modelReady ? (
        <p className="ok-text" data-testid="lora-fits">
          Fits {model}: every adapted weight is there with matching shapes.
        </p>
      ) : null}
    </div>
  );
}

/** `1 tag`, `2 tags`. */
function countOf(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
