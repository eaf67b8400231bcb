/** Whether a wire joins models that can merge, judged from the headers loaded so far (unknown models pass). */
import type { Model } from '../io/model/types';
import { adapterFit } from '../plan/lora';
import { formatModelRef, splitLoraRef } from '../recipe/model-ref';
import type { MergeStage } from '../recipe/types';
import { incompatibility } from './model-summary';
import type { ModelSummary } from './model-summary';
import { stageIndexOf, stageInputs } from './recipe-edit';
import { sourceEntryOf } from './sources-slice';
import type { WireSource } from './recipe-edit';
import type { AdapterEntry, SourceEntry } from './sources-slice';

type Sources = Readonly<Record<string, SourceEntry>>;

/** The loaded summaries behind a reference: the model itself, or every model feeding a stage (recursively). */
function summariesOf(stages: readonly MergeStage[], sources: Sources, ref: string, seen = new Set<number>()): ModelSummary[] {
  const stage = stageIndexOf(stages, ref);
  if (stage === undefined) {
    const entry = sourceEntryOf(sources, ref);
    return entry?.status === 'ready' ? [entry.summary] : [];
  }
  if (seen.has(stage)) return [];
  seen.add(stage);
  return stageInputs(stages[stage] as MergeStage).flatMap((input) => summariesOf(stages, sources, formatModelRef(input.ref), seen));
}

/** The reason a wire from `source` into stage `target` would join incompatible models, or undefined. */
export function wireProblem(stages: readonly MergeStage[], sources: Sources, source: WireSource, target: number): string | undefined {
  const stage = stages[target];
  if (stage === undefined) return undefined;
  const incoming =
    source.kind === 'model'
      ? summariesOf(stages, sources, source.ref)
      : stageInputs(stages[source.index] as MergeStage).flatMap((i) => summariesOf(stages, sources, formatModelRef(i.ref)));
  const present = stageInputs(stage).flatMap((input) => summariesOf(stages, sources, formatModelRef(input.ref)));
  for (const a of incoming) {
    for (const b of present) {
      const problem = incompatibility(a, b);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/**
 * Why the LoRA in `ref` (`model+lora`) cannot be baked into its model — an adapted weight the model lacks, or factor
 * shapes that disagree with the weight — judged from the headers loaded so far; undefined when it fits or is not known.
 */
export function loraProblem(models: Readonly<Record<string, Model>>, adapters: Readonly<Record<string, AdapterEntry>>, ref: string): string | undefined {
  const { model, lora } = splitLoraRef(ref);
  const loaded = models[model];
  const adapter = lora === undefined ? undefined : adapters[lora];
  if (loaded === undefined || lora === undefined || adapter?.status !== 'ready') return undefined;
  return adapterFit(loaded, adapter.adapter, lora).problem;
}
