/**
 * The recipe being built on the canvas, read: its stages plus the models the user added but has not wired yet, which
 * inputs each stage has, which stage a reference names, and the document form the planner takes.
 */
import { formatModelRef } from '../recipe/model-ref';
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

/** The index of the stage a reference names (multi-document recipes), or undefined for a real model. */
export function stageIndexOf(stages: readonly MergeStage[], ref: ModelRef | string): number | undefined {
  const path = typeof ref === 'string' ? ref : ref.revision === undefined && ref.lora === undefined ? ref.path : undefined;
  if (path === undefined) return undefined;
  const index = stages.findIndex((s) => s.name === path);
  return index < 0 ? undefined : index;
}

/** Every real model the recipe mentions (string form, first-seen order), loose ones last. */
export function allModelRefs(recipe: EditableRecipe): string[] {
  const seen = new Set<string>();
  for (const stage of recipe.stages) {
    for (const input of stageInputs(stage)) {
      if (stageIndexOf(recipe.stages, input.ref) === undefined) seen.add(formatModelRef(input.ref));
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
