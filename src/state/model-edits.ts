/** Edits of the models on the canvas: adding and removing them, rewriting a reference, pinning a revision. */
import { formatModelRef, parseModelRefString, splitLoraRef } from '../recipe/model-ref';
import type { MergeStage, ModelRef } from '../recipe/types';
import { AppError } from '../shared/errors';
import { allModelRefs, stageIndexOf } from './recipe-graph';
import type { EditableRecipe } from './recipe-graph';

/** Adds a model to the canvas (a no-op when the recipe already has it). */
export function addModel(recipe: EditableRecipe, ref: string): EditableRecipe {
  const trimmed = ref.trim();
  if (trimmed === '' || allModelRefs(recipe).includes(trimmed)) return recipe;
  return { ...recipe, looseModels: [...recipe.looseModels, trimmed] };
}

/**
 * Removes a model from the canvas and from every stage that used it — with the LoRA nodes on it, when `ref` is a plain
 * model (`model` also removes `model+lora`).
 */
export function removeModel(recipe: EditableRecipe, ref: string): EditableRecipe {
  const gone = (text: string) => text === ref || splitLoraRef(text).model === ref;
  return {
    looseModels: recipe.looseModels.filter((r) => !gone(r)),
    stages: recipe.stages.map((stage) => withoutInput(stage, (r) => !gone(formatModelRef(r)))),
  };
}

/** The recipe with model `ref` still on the canvas: added as a loose model when nothing uses it any more. */
export function keepOnCanvas(recipe: EditableRecipe, ref: string): EditableRecipe {
  if (stageIndexOf(recipe.stages, ref) !== undefined) return recipe;
  return allModelRefs(recipe).some((r) => splitLoraRef(r).model === ref) ? recipe : { ...recipe, looseModels: [...recipe.looseModels, ref] };
}

export function withoutInput(stage: MergeStage, keep: (ref: ModelRef) => boolean): MergeStage {
  let next: MergeStage = stage;
  if (stage.baseModel !== undefined && !keep(stage.baseModel)) {
    const { baseModel: _dropped, ...rest } = next;
    next = rest;
  }
  if (stage.models !== undefined) next = { ...next, models: stage.models.filter((m) => keep(m.model)) };
  if (stage.slices !== undefined) {
    next = {
      ...next,
      slices: stage.slices.map((slice) => ({ ...slice, sources: slice.sources.filter((s) => keep(s.model)) })).filter((s) => s.sources.length > 0),
    };
  }
  return next;
}

/**
 * Rewrites model reference `from` (string form) to `to` wherever it is an input — in stage `target` only, or in every
 * stage and the loose models when `target` is undefined. The LoRA and revision edits below are built on it.
 */
export function replaceModelRef(recipe: EditableRecipe, from: string, to: ModelRef, target?: number): EditableRecipe {
  const swap = (r: ModelRef): ModelRef => (formatModelRef(r) === from ? to : r);
  const stages = recipe.stages.map((stage, i) => (target === undefined || i === target ? withInputMapped(stage, swap) : stage));
  const next: EditableRecipe = { stages, looseModels: recipe.looseModels };
  const toText = formatModelRef(to);
  const used = new Set(allModelRefs({ stages, looseModels: [] }));
  const loose = recipe.looseModels.map((r) => (r === from && target === undefined ? toText : r));
  // `from` stays on the canvas when only one stage's input changed and no stage uses it any more.
  if (target !== undefined && !used.has(from) && !loose.includes(from)) loose.push(from);
  return { ...next, looseModels: [...new Set(loose)].filter((r) => !used.has(r)) };
}

function withInputMapped(stage: MergeStage, map: (ref: ModelRef) => ModelRef): MergeStage {
  let next: MergeStage = stage;
  if (stage.baseModel !== undefined) next = { ...next, baseModel: map(stage.baseModel) };
  if (stage.models !== undefined) next = { ...next, models: stage.models.map((m) => ({ ...m, model: map(m.model) })) };
  if (stage.slices !== undefined) {
    next = { ...next, slices: stage.slices.map((slice) => ({ ...slice, sources: slice.sources.map((s) => ({ ...s, model: map(s.model) })) })) };
  }
  return next;
}

export function refOf(text: string): ModelRef {
  const parsed = parseModelRefString(text);
  if (typeof parsed === 'string') throw new AppError('E_RECIPE_INVALID', parsed, { hint: 'Use path[@revision][+lora[@revision]].' });
  return parsed;
}

/** Pins model `ref` to a Hub branch, tag or commit (`repo@revision`); undefined or '' goes back to the default branch. */
export function setRevision(recipe: EditableRecipe, ref: string, revision: string | undefined, target?: number): EditableRecipe {
  const { revision: _old, ...rest } = refOf(ref);
  const wanted = revision?.trim() ?? '';
  if (wanted.includes('@') || wanted.includes('+')) throw new AppError('E_RECIPE_INVALID', `revision ${JSON.stringify(wanted)} cannot contain "@" or "+"`, { hint: 'Give a branch, tag or commit sha.' });
  return replaceModelRef(recipe, ref, wanted === '' ? rest : { ...rest, revision: wanted }, target);
}
