/** Whether a wire joins models that can merge, judged from the headers loaded so far (unknown models pass). */
import type { Model } from '../io/model/types';
import { vocabularyHandling } from '../plan/vocabulary';
import { adapterFit } from '../plan/lora';
import { getMethod } from '../methods/registry';
import { formatModelRef, splitLoraRef } from '../recipe/model-ref';
import type { MergeStage } from '../recipe/types';
import { adapterAsModel, incompatibility } from './model-summary';
import type { ModelSummary } from './model-summary';
import { stageIndexOf, stageInputs } from './recipe-graph';
import { stageLoraProblem } from './stage-lora-fit';
import { sourceEntryOf } from './sources-slice';
import type { InputRole, WireSource } from './recipe-graph';
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

/**
 * The reason a wire from `source` into stage `target` (as its base or one more model) would join models that cannot
 * merge — architecture, depth, weight shapes, or vocabulary sizes the stage's method cannot reconcile — or undefined.
 */
export function wireProblem(stages: readonly MergeStage[], sources: Sources, source: WireSource, target: number, role: InputRole = 'model'): string | undefined {
  const stage = stages[target];
  if (stage === undefined) return undefined;
  const incoming =
    source.kind === 'model'
      ? summariesOf(stages, sources, source.ref)
      : stageInputs(stages[source.index] as MergeStage).flatMap((i) => summariesOf(stages, sources, formatModelRef(i.ref)));
  const adapter = incoming.find((summary) => summary.adapter);
  if (adapter !== undefined) return adapterAsModel(adapter.ref);
  const inputs = stageInputs(stage).map((input) => ({ role: input.role, summaries: summariesOf(stages, sources, formatModelRef(input.ref)) }));
  const present = inputs.flatMap((input) => input.summaries);
  for (const a of incoming) {
    for (const b of present) {
      const problem = incompatibility(a, b);
      if (problem !== undefined) return problem;
    }
  }
  return vocabularyProblem(stage.mergeMethod, incoming, role, inputs);
}

/** Vocabulary sizes the method cannot reconcile (mergekit-spec §4.1), judged from the embeddings' rows. */
function vocabularyProblem(methodId: string, incoming: readonly ModelSummary[], role: InputRole, inputs: readonly { role: InputRole; summaries: readonly ModelSummary[] }[]): string | undefined {
  const handling = vocabularyHandling(methodId);
  const label = getMethod(methodId)?.label ?? methodId;
  for (const a of incoming) {
    // A new base replaces the old one, so the old one is not compared.
    for (const input of inputs.filter((i) => role !== 'base' || i.role !== 'base')) {
      for (const b of input.summaries) {
        if (a.vocab === undefined || b.vocab === undefined || a.vocab === b.vocab) continue;
        if (handling === 'none') {
          return `${a.ref} has ${a.vocab} tokens but ${b.ref} has ${b.vocab}: ${label} cannot merge embeddings of different vocabulary sizes (mergekit fails on them too). Use models that share a tokenizer, or linear or SLERP, which keep the tokens every model has.`;
        }
        // The task-vector family keeps the base's rows: no other model may have fewer.
        const [base, other] = role === 'base' ? [a, b] : input.role === 'base' ? [b, a] : [undefined, undefined];
        if (handling === 'base' && base !== undefined && other !== undefined && (other.vocab as number) < (base.vocab as number)) {
          return `${other.ref} has ${other.vocab} tokens, fewer than the base ${base.ref} (${base.vocab}): ${label} keeps the base's vocabulary. Use the model with the smaller vocabulary as the base.`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Why the LoRA in `ref` (`model+lora`, or `stage+lora` on a merge's output) cannot be baked into its model — an adapted
 * weight the model lacks, or factor shapes that disagree with the weight — judged from the headers loaded so far;
 * undefined when it fits or is not known.
 */
export function loraProblem(models: Readonly<Record<string, Model>>, adapters: Readonly<Record<string, AdapterEntry>>, ref: string, stages: readonly MergeStage[] = []): string | undefined {
  const { model, lora } = splitLoraRef(ref);
  const stage = stageIndexOf(stages, model);
  if (stage !== undefined) return lora === undefined ? undefined : stageLoraProblem(stages, models, adapters, stage, lora);
  const loaded = models[model];
  const adapter = lora === undefined ? undefined : adapters[lora];
  if (loaded === undefined || lora === undefined || adapter?.status !== 'ready') return undefined;
  return adapterFit(loaded, adapter.adapter, lora).problem;
}
