/** A stage in the inspector: method, inputs (each with its LoRA and own parameters), wiring without dragging, parameters. */
import { useState } from 'react';

import { StageParams } from '../../canvas/StageParams';
import { getMethod } from '../../methods/registry';
import { formatModelRef } from '../../recipe/model-ref';
import { useAppStore } from '../../state/hooks';
import { allModelRefs, distinctInputs, stageIndexOf } from '../../state/recipe-graph';
import type { InputRole, WireSource } from '../../state/recipe-graph';
import { GradientPanel } from '../GradientPanel';
import { LoraControl } from './LoraControl';
import { NearSwapControl } from './NearSwapControl';
import { SliceEditor } from './SliceEditor';

export function StageInspector({ index }: { index: number }) {
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
