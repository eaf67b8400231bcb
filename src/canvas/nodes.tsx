/**
 * The node kinds: a model (its header facts once read), a LoRA adapter baked into a model (its facts and whether it
 * fits), a merge stage (method and form), the output.
 */
import { Handle, Position } from '@xyflow/react';
import type { NodeProps } from '@xyflow/react';

import { METHODS, getMethod } from '../methods/registry';
import { splitLoraRef } from '../recipe/model-ref';
import { loraProblem } from '../state/compatibility';
import { stageIndexOf } from '../state/recipe-graph';
import { isHubId } from '../state/run-input';
import { useAppStore } from '../state/hooks';
import { formatBytes } from '../shared/format';
import { formatCount } from '../state/model-summary';
import { sourceEntryOf } from '../state/sources-slice';
import { stageNeeds } from '../state/stage-needs';
import { ModelFacts } from '../ui/ModelFacts';
import type { LoraNodeData, MergeNodeData, ModelNodeData, StudioNode } from './graph';
import { StageParams } from './StageParams';

export function ModelNode({ data, selected }: NodeProps<StudioNode & { type: 'model'; data: ModelNodeData }>) {
  const entry = useAppStore((s) => sourceEntryOf(s.sources, data.ref));
  const adapter = entry?.status === 'ready' && entry.summary.adapter;
  return (
    <div className={`node node-model${adapter ? ' is-adapter' : ''}${selected ? ' is-selected' : ''}`} data-testid={`model-node-${data.ref}`}>
      <div className="node-kicker">{adapter ? 'LoRA adapter folder' : entry?.kind === 'local' ? 'Local folder' : 'Model'}</div>
      <div className="node-title" title={data.ref}>
        {data.ref}
      </div>
      {entry === undefined ? <div className="node-muted">{isHubId(data.ref) ? 'Headers not read' : 'Folder not added yet'}</div> : null}
      {entry?.status === 'loading' ? <div className="node-muted">Reading headers…</div> : null}
      {entry?.status === 'error' ? <div className="node-error">{entry.error.message}</div> : null}
      {adapter ? <div className="node-muted">Not a model: select its base model, then Add LoRA node with {data.ref}.</div> : null}
      {entry?.status === 'ready' && !adapter ? (
        <ModelFacts
          facts={[
            { label: 'architecture', value: entry.summary.architecture ?? 'unknown' },
            { label: 'layers', value: String(entry.summary.layers) },
            { label: 'dtype', value: entry.summary.dtype },
            { label: 'size', value: formatBytes(entry.summary.sizeBytes) },
            { label: 'params', value: formatCount(entry.summary.params) },
            ...(entry.summary.revision === undefined ? [] : [{ label: 'rev', value: entry.summary.revision.slice(0, 7) }]),
          ]}
        />
      ) : null}
      <Handle type="source" position={Position.Right} className="handle handle-out" />
    </div>
  );
}

export function LoraNode({ data, selected }: NodeProps<StudioNode & { type: 'lora'; data: LoraNodeData }>) {
  const { model, lora } = splitLoraRef(data.ref);
  const entry = useAppStore((s) => (lora === undefined ? undefined : s.adapters[lora]));
  const problem = useAppStore((s) => loraProblem(s.models, s.adapters, data.ref, s.recipe.stages));
  const onStage = useAppStore((s) => stageIndexOf(s.recipe.stages, model) !== undefined);
  return (
    <div className={`node node-lora${selected ? ' is-selected' : ''}`} data-testid={`lora-node-${data.ref}`}>
      <Handle type="target" id="model" position={Position.Left} className="handle handle-lora" style={{ top: 34 }}>
        <span className="handle-label">model</span>
      </Handle>
      <div className="node-kicker">LoRA adapter</div>
      <div className="node-title" title={lora}>
        {lora}
      </div>
      <div className="node-muted node-line" title={model}>
        {onStage ? `baked into the output of ${model}` : `baked into ${model}`}
      </div>
      {entry === undefined ? <div className="node-muted">Adapter not read</div> : null}
      {entry?.status === 'loading' ? <div className="node-muted">Reading adapter…</div> : null}
      {entry?.status === 'error' ? <div className="node-error">{entry.error.message}</div> : null}
      {entry?.status === 'ready' ? (
        <ModelFacts
          facts={[
            { label: 'rank', value: String(entry.summary.rank) },
            { label: 'alpha', value: String(entry.summary.alpha) },
            { label: 'targets', value: entry.summary.targets.join(', ') },
            { label: 'size', value: formatBytes(entry.summary.sizeBytes) },
          ]}
        />
      ) : null}
      {problem === undefined ? null : (
        <div className="node-error" data-testid="lora-problem">
          {problem}
        </div>
      )}
      <Handle type="source" position={Position.Right} className="handle handle-out" />
    </div>
  );
}

export function MergeNode({ data, selected }: NodeProps<StudioNode & { type: 'merge'; data: MergeNodeData }>) {
  const stage = useAppStore((s) => s.recipe.stages[data.index]);
  const isFinal = useAppStore((s) => s.recipe.final === data.index);
  const setMethod = useAppStore((s) => s.setMethod);
  if (stage === undefined) return null;
  const method = getMethod(stage.mergeMethod);
  const title = stage.name ?? 'Final merge';
  const needs = stageNeeds(stage);
  return (
    <div className={`node node-merge${selected ? ' is-selected' : ''}`} data-testid={`merge-node-${stage.name ?? 'final'}`}>
      {method?.base === 'none' ? null : (
        <Handle type="target" id="base" position={Position.Left} className="handle handle-base" style={{ top: 34 }}>
          <span className="handle-label">base</span>
        </Handle>
      )}
      <Handle type="target" id="models" position={Position.Left} className="handle handle-models" style={{ top: 70 }}>
        <span className="handle-label">models</span>
      </Handle>
      <div className="node-kicker">{isFinal ? 'Merge · final' : 'Merge stage'}</div>
      <div className="node-title">{title}</div>
      <select
        className="nodrag method-select"
        aria-label={`Method of ${title}`}
        value={stage.mergeMethod}
        onChange={(e) => setMethod(data.index, e.target.value)}
      >
        {METHODS.map((m) => (
          <option key={m.id} value={m.id}>
            {m.label}
          </option>
        ))}
      </select>
      {needs.length === 0 ? null : (
        <ul className="node-needs" data-testid="stage-needs" aria-label={`What ${title} needs`}>
          {needs.map((need) => (
            <li key={need}>{need}</li>
          ))}
        </ul>
      )}
      <StageParams index={data.index} scope="global" idPrefix={`node-${data.index}`} summaries />
      <Handle type="source" position={Position.Right} className="handle handle-out" />
    </div>
  );
}

export function OutputNode() {
  const stage = useAppStore((s) => s.recipe.stages[s.recipe.final]);
  return (
    <div className="node node-output" data-testid="output-node">
      <Handle type="target" position={Position.Left} className="handle handle-models" isConnectable={false} />
      <div className="node-kicker">Output</div>
      <div className="node-title">Merged model</div>
      <div className="node-muted">{stage?.dtype === undefined ? 'dtype of the inputs' : stage.dtype}</div>
    </div>
  );
}

export const NODE_TYPES = { model: ModelNode, lora: LoraNode, merge: MergeNode, output: OutputNode };
