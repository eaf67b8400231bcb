/** LoRA edits: an adapter attached to a model input, a LoRA node on the canvas, rewired, detached or deleted. */
import { formatModelRef, splitLoraRef } from '../recipe/model-ref';
import type { ModelRef } from '../recipe/types';
import { AppError } from '../shared/errors';
import { addModel, keepOnCanvas, refOf, removeModel, replaceModelRef } from './model-edits';
import { labelOf, stageInputs, upstreamStages } from './recipe-graph';
import type { EditableRecipe } from './recipe-graph';
import { freshName } from './stage-edits';

/** An adapter reference (`path[@revision]`, no "+"), refused with the reason when it is not one. */
function adapterOf(adapter: string): { path: string; revision?: string } {
  const lora = refOf(adapter);
  if (lora.lora !== undefined) throw new AppError('E_RECIPE_INVALID', `${JSON.stringify(adapter)} is not a single adapter`, { hint: 'Give the adapter alone, without "+".' });
  return lora.revision === undefined ? { path: lora.path } : { path: lora.path, revision: lora.revision };
}

/** A plain model reference (no LoRA of its own), refused when it already has one. */
function plainModelOf(ref: string): ModelRef {
  const model = refOf(ref);
  if (model.lora !== undefined) throw new AppError('E_RECIPE_INVALID', `${ref} already has a LoRA`, { hint: 'mergekit bakes one adapter per input: merge first, or use the plain model.' });
  return model;
}

/** Attaches a PEFT LoRA adapter (Hub id or folder, optional `@revision`) to model `ref`: the recipe gets `model+lora`. */
export function attachLora(recipe: EditableRecipe, ref: string, adapter: string, target?: number): EditableRecipe {
  const lora = adapterOf(adapter);
  return withoutLooseAdapter(replaceModelRef(recipe, ref, { ...refOf(ref), lora }, target), lora);
}

/** An adapter folder placed on the canvas as if it were a model leaves it once a LoRA node uses it. */
function withoutLooseAdapter(recipe: EditableRecipe, lora: { path: string; revision?: string }): EditableRecipe {
  const text = formatModelRef(lora);
  return { ...recipe, looseModels: recipe.looseModels.filter((r) => r !== text) };
}

/** A LoRA node on the canvas: adapter `adapter` on model `model`, as a `model+lora` reference not wired into a merge yet. */
export function addLoraNode(recipe: EditableRecipe, model: string, adapter: string): EditableRecipe {
  const lora = adapterOf(adapter);
  return withoutLooseAdapter(addModel(recipe, formatModelRef({ ...plainModelOf(model), lora })), lora);
}

/** A model wired into a LoRA node: the adapter of `loraRef` now bakes into `model` wherever the node feeds a merge. */
export function rebaseLora(recipe: EditableRecipe, loraRef: string, model: string): EditableRecipe {
  const { lora } = refOf(loraRef);
  if (lora === undefined) throw new AppError('E_RECIPE_INVALID', `${loraRef} has no LoRA`, { hint: 'Wire the model into a LoRA node.' });
  const next = replaceModelRef(recipe, loraRef, { ...plainModelOf(model), lora });
  return keepOnCanvas(next, splitLoraRef(loraRef).model);
}

/**
 * A merge's output wired into a LoRA node: the adapter of `loraRef` bakes into stage `index`'s result (`stage+adapter`,
 * as mergekit-multi reads it) wherever the node feeds a merge. The stage gets a name if it had none; refused when a
 * merge the node feeds is that stage or one it reads (a loop).
 */
export function rebaseLoraOnStage(recipe: EditableRecipe, loraRef: string, index: number): EditableRecipe {
  const stage = recipe.stages[index];
  if (stage === undefined) throw new AppError('E_RECIPE_INVALID', `There is no merge ${index + 1}.`, { hint: 'Add a merge node first.' });
  const upstream = upstreamStages(recipe.stages, index);
  const fed = recipe.stages.findIndex((s, i) => (i === index || upstream.has(i)) && stageInputs(s).some((input) => formatModelRef(input.ref) === loraRef));
  if (fed >= 0) {
    throw new AppError('E_RECIPE_INVALID', `That wire would make a loop: this LoRA node feeds ${labelOf(recipe.stages[fed]!, fed)}, which ${labelOf(stage, index)} is built from.`, {
      hint: 'Wire a merge into a LoRA node that feeds later merges only.',
    });
  }
  const name = stage.name ?? freshName(recipe.stages);
  const stages = recipe.stages.map((s, i) => (i === index ? { ...s, name } : s));
  return rebaseLora({ ...recipe, stages }, loraRef, name);
}

/** Deletes a LoRA node: the merges it fed lose that input; its model stays on the canvas. */
export function removeLoraNode(recipe: EditableRecipe, loraRef: string): EditableRecipe {
  return keepOnCanvas(removeModel(recipe, loraRef), splitLoraRef(loraRef).model);
}

/**
 * Removes the LoRA from `ref` (a `model+lora` reference), restoring the plain model reference; a LoRA node left with
 * no wires goes too, unless it was unwired already.
 */
export function detachLora(recipe: EditableRecipe, ref: string, target?: number): EditableRecipe {
  const { lora: _dropped, ...plain } = refOf(ref);
  const next = replaceModelRef(recipe, ref, plain, target);
  return recipe.looseModels.includes(ref) ? next : { ...next, looseModels: next.looseModels.filter((r) => r !== ref) };
}
