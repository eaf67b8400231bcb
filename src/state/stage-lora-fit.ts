/**
 * Whether a LoRA fits a merge's output (`stage+adapter`), from the headers loaded so far: a stage's output has the
 * tensor names and shapes of its donor model (its first slice's base, else its first input; through nested stages),
 * so the adapter must fit that model. The plan checks the output itself (plan/stage-loras.ts) before a run.
 */
import type { Model } from '../io/model/types';
import { adapterFit } from '../plan/lora';
import { formatModelRef } from '../recipe/model-ref';
import type { MergeStage, ModelRef } from '../recipe/types';
import { labelOf, stageIndexOf } from './recipe-graph';
import type { AdapterEntry } from './sources-slice';

/** The loaded model whose tensors stage `index` outputs, or undefined while it is not known. */
export function stageDonor(stages: readonly MergeStage[], models: Readonly<Record<string, Model>>, index: number, seen = new Set<number>()): Model | undefined {
  const stage = stages[index];
  if (stage === undefined || seen.has(index)) return undefined;
  seen.add(index);
  const body = Object.values(stage.modules ?? {})[0] ?? stage;
  const slice = body.slices?.[0];
  const ref: ModelRef | undefined = slice !== undefined ? (slice.baseModel ?? stage.baseModel ?? slice.sources[0]?.model) : (stage.baseModel ?? body.models?.[0]?.model);
  if (ref === undefined) return undefined;
  const nested = stageIndexOf(stages, ref);
  if (nested !== undefined) return stageDonor(stages, models, nested, seen);
  const { lora: _baked, ...plain } = ref;
  return models[formatModelRef(plain)];
}

/** Why adapter `lora` cannot be baked into stage `index`'s output, or undefined when it fits or is not known yet. */
export function stageLoraProblem(
  stages: readonly MergeStage[],
  models: Readonly<Record<string, Model>>,
  adapters: Readonly<Record<string, AdapterEntry>>,
  index: number,
  lora: string,
): string | undefined {
  const donor = stageDonor(stages, models, index);
  const adapter = adapters[lora];
  if (donor === undefined || adapter?.status !== 'ready') return undefined;
  const problem = adapterFit(donor, adapter.adapter, lora).problem;
  return problem === undefined ? undefined : `The output of ${labelOf(stages[index] as MergeStage, index)} has the weights of ${donor.ref}. ${problem}`;
}

/** Whether `model` names a stage whose donor model's headers are loaded (so a LoRA's fit on its output is known). */
export function stageLoraDonorLoaded(stages: readonly MergeStage[], models: Readonly<Record<string, Model>>, model: string): boolean {
  const index = stageIndexOf(stages, model);
  return index !== undefined && stageDonor(stages, models, index) !== undefined;
}
