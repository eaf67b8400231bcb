/**
 * The recipe being built on the canvas, read: its stages plus the models the user added but has not wired yet, which
 * inputs each stage has, which stage a reference names, and the document form the planner takes.
 */
import { formatModelRef, parseModelRefString, stageNameOf } from '../recipe/model-ref';
import type { MergeStage, ModelRef, RecipeDocument } from '../recipe/types';

export interface EditableRecipe {
  readonly stages: readonly MergeStage[];
  /** Model references (string form) on the canvas that no stage uses yet. */
  readonly looseModels: readonly string[];
}

export const EMPTY_RECIPE: EditableRecipe = { stages: [], looseModels: [] };

/** What feeds a wire: a model by reference, or another stage by index. */
export type WireSource = { readonly kind: 'model'; readonly ref: string } | { readonly kind: 'stage'; readonly index: number };

export type InputRole = 'base' | 'model';

/** A stage's inputs as the canvas draws them: the base, then `models:`, then slice sources (modules included). */
export function stageInputs(stage: MergeStage): { role: InputRole; ref: ModelRef }[] {
  const out: { role: InputRole; ref: ModelRef }[] = [];
  if (stage.baseModel !== undefined) out.push({ role: 'base', ref: stage.baseModel });
  const bodies = [stage, ...Object.values(stage.modules ?? {})];
  for (const body of bodies) {
    for (const m of body.models ?? []) out.push({ role: 'model', ref: m.model });
    for (const slice of body.slices ?? []) {
      for (const source of slice.sources) out.push({ role: 'model', ref: source.model });
    }
  }
  return out;
}

/** A stage's inputs once each (a model that several slices read is one input), in first-seen order. */
export function distinctInputs(stage: MergeStage): { role: InputRole; ref: ModelRef }[] {
  const seen = new Set<string>();
  return stageInputs(stage).filter((input) => {
    const key = `${input.role}:${formatModelRef(input.ref)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The index of the stage a reference reads (multi-document recipes), or undefined for a real model. `stage+adapter`
 * reads the stage too: its LoRA is baked into the stage's output.
 */
export function stageIndexOf(stages: readonly MergeStage[], ref: ModelRef | string): number | undefined {
  const parsed = typeof ref === 'string' ? parseModelRefString(ref) : ref;
  if (typeof parsed === 'string') return undefined;
  const name = stageNameOf(parsed, { has: (n) => stages.some((s) => s.name === n) });
  if (name === undefined) return undefined;
  return stages.findIndex((s) => s.name === name);
}

/** Whether `ref` (string form) is a LoRA node on a stage's output: `stage+adapter`. */
export function isStageLora(stages: readonly MergeStage[], ref: string): boolean {
  const parsed = parseModelRefString(ref);
  return typeof parsed !== 'string' && parsed.lora !== undefined && stageIndexOf(stages, parsed) !== undefined;
}

/**
 * Every model and LoRA node the recipe mentions (string form, first-seen order), loose ones last: real models,
 * `model+adapter` and `stage+adapter` (whose model part is a stage, not a model to load: see {@link isStageLora}).
 */
export function allModelRefs(recipe: EditableRecipe): string[] {
  const seen = new Set<string>();
  for (const stage of recipe.stages) {
    for (const input of stageInputs(stage)) {
      if (stageIndexOf(recipe.stages, input.ref) === undefined || input.ref.lora !== undefined) seen.add(formatModelRef(input.ref));
    }
  }
  for (const ref of recipe.looseModels) seen.add(ref);
  return [...seen];
}

/** The final stage (the unnamed one, else the last) and a dependency order, as the parser computes them. */
export function toDocument(stages: readonly MergeStage[]): RecipeDocument {
  const unnamed = stages.findIndex((s) => s.name === undefined);
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number) => {
    if (state.has(i)) return;
    state.set(i, 'visiting');
    for (const input of stageInputs(stages[i] as MergeStage)) {
      const upstream = stageIndexOf(stages, input.ref);
      if (upstream !== undefined && upstream !== i) visit(upstream);
    }
    state.set(i, 'done');
    order.push(i);
  };
  stages.forEach((_, i) => visit(i));
  return { stages, final: unnamed >= 0 ? unnamed : stages.length - 1, order, positions: {}, warnings: [] };
}

/** How the UI names a stage: its name, or "Final merge" for the unnamed one. */
export function labelOf(stage: MergeStage, index: number): string {
  return stage.name ?? (index >= 0 ? 'the final merge' : 'merge');
}

/** Stages that `index` reads from, directly or through other stages. */
export function upstreamStages(stages: readonly MergeStage[], index: number, seen = new Set<number>()): Set<number> {
  for (const input of stageInputs(stages[index] as MergeStage)) {
    const up = stageIndexOf(stages, input.ref);
    if (up !== undefined && !seen.has(up)) {
      seen.add(up);
      upstreamStages(stages, up, seen);
    }
  }
  return seen;
}
