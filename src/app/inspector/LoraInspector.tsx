import { formatModelRef, splitLoraRef } from '../../recipe/model-ref';
import { describeContext } from '../../shared/errors';
import { loraProblem } from '../../state/compatibility';
import { stageLoraDonorLoaded } from '../../state/stage-lora-fit';
import { useAppStore } from '../../state/hooks';
import { formatBytes } from '../../shared/format';
import { formatCount } from '../../state/model-summary';
import { stageInputs } from '../../state/recipe-graph';
import { ErrorNote } from '../../ui/ErrorNote';
import { ModelFacts } from '../../ui/ModelFacts';

/** A LoRA node: the adapter's facts, the model it bakes into and whether it fits it, the merges it feeds. */
export function LoraInspector({ ref_ }: { ref_: string }) {
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
