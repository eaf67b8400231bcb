/**
 * Pure edits of the recipe being built on the canvas: stages plus the models the user added but has not wired yet.
 * Every function returns a new value (or throws an `AppError` saying why an edit is refused); the recipe slice keeps
 * the history and the YAML text in step.
 */
import { getMethod } from '../methods/registry';
import { besidesBase, formatModelRef, parseModelRefString, splitLoraRef } from '../recipe/model-ref';
import type { InputModel, MergeStage, ModelRef, ParameterSetting, Parameters, RecipeDocument, Slice } from '../recipe/types';
import { AppError } from '../shared/errors';

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
function keepOnCanvas(recipe: EditableRecipe, ref: string): EditableRecipe {
  return allModelRefs(recipe).some((r) => splitLoraRef(r).model === ref) ? recipe : { ...recipe, looseModels: [...recipe.looseModels, ref] };
}

function withoutInput(stage: MergeStage, keep: (ref: ModelRef) => boolean): MergeStage {
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

function refOf(text: string): ModelRef {
  const parsed = parseModelRefString(text);
  if (typeof parsed === 'string') throw new AppError('E_RECIPE_INVALID', parsed, { hint: 'Use path[@revision][+lora[@revision]].' });
  return parsed;
}

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

/** Pins model `ref` to a Hub branch, tag or commit (`repo@revision`); undefined or '' goes back to the default branch. */
export function setRevision(recipe: EditableRecipe, ref: string, revision: string | undefined, target?: number): EditableRecipe {
  const { revision: _old, ...rest } = refOf(ref);
  const wanted = revision?.trim() ?? '';
  if (wanted.includes('@') || wanted.includes('+')) throw new AppError('E_RECIPE_INVALID', `revision ${JSON.stringify(wanted)} cannot contain "@" or "+"`, { hint: 'Give a branch, tag or commit sha.' });
  return replaceModelRef(recipe, ref, wanted === '' ? rest : { ...rest, revision: wanted }, target);
}

/** A new merge stage. The first one is the (unnamed) final merge; later ones get names so other stages can use them. */
export function addStage(recipe: EditableRecipe, methodId: string): { recipe: EditableRecipe; index: number } {
  const method = requireMethod(methodId);
  const stage: MergeStage = {
    ...(recipe.stages.length === 0 ? {} : { name: freshName(recipe.stages) }),
    mergeMethod: method.id,
    models: [],
    parameters: defaultParameters(method.id),
  };
  return { recipe: { ...recipe, stages: [...recipe.stages, stage] }, index: recipe.stages.length };
}

/** Required global parameters start at their middle value so a new stage exports to a recipe that runs. */
function defaultParameters(methodId: string): Parameters {
  const out: Record<string, ParameterSetting> = {};
  for (const param of requireMethod(methodId).params) {
    if (param.scope !== 'global' || !param.required || param.default !== undefined) continue;
    out[param.name] = param.type === 'boolean' ? false : param.min !== undefined && param.max !== undefined ? (param.min + param.max) / 2 : 0.5;
  }
  return out;
}

function freshName(stages: readonly MergeStage[]): string {
  for (let n = stages.length + 1; ; n++) {
    const name = `merge-${n}`;
    if (!stages.some((s) => s.name === name)) return name;
  }
}

function requireMethod(id: string) {
  const method = getMethod(id);
  if (method === undefined) throw new AppError('E_UNKNOWN_METHOD', `Unknown merge method ${id}.`, { hint: 'Pick a method from the list.' });
  return method;
}

function refuse(message: string, hint: string): never {
  throw new AppError('E_RECIPE_INVALID', message, { hint });
}

/** Stages that `index` reads from, directly or through other stages. */
function upstreamStages(stages: readonly MergeStage[], index: number, seen = new Set<number>()): Set<number> {
  for (const input of stageInputs(stages[index] as MergeStage)) {
    const up = stageIndexOf(stages, input.ref);
    if (up !== undefined && !seen.has(up)) {
      seen.add(up);
      upstreamStages(stages, up, seen);
    }
  }
  return seen;
}

/**
 * Wires `source` into stage `target` as its base or as one more model. A stage used as an input gets a name if it had
 * none. Refused (with the reason) when it would make a cycle, duplicate an input or exceed the method's arity.
 */
export function connect(recipe: EditableRecipe, source: WireSource, target: number, role: InputRole): EditableRecipe {
  let stages = [...recipe.stages];
  const stage = stages[target];
  if (stage === undefined) refuse(`There is no merge ${target + 1}.`, 'Add a merge node first.');
  let refText: string;
  if (source.kind === 'stage') {
    const from = stages[source.index];
    if (from === undefined) refuse(`There is no merge ${source.index + 1}.`, 'Add a merge node first.');
    if (source.index === target || upstreamStages(stages, source.index).has(target)) {
      refuse('That wire would make a loop: a merge cannot use its own result.', 'Wire earlier merges into later ones.');
    }
    if (from.name === undefined) {
      const named: MergeStage = { ...from, name: freshName(stages) };
      stages[source.index] = named;
    }
    refText = (stages[source.index] as MergeStage).name as string;
  } else {
    refText = source.ref;
  }
  const current = stages[target] as MergeStage;
  if (current.slices !== undefined || current.modules !== undefined) {
    refuse(`${labelOf(current, target)} is built from slices or modules.`, 'Edit its slices in the YAML panel.');
  }
  const ref: ModelRef = { path: refText };
  const method = requireMethod(current.mergeMethod);
  const models = current.models ?? [];
  if (role === 'base') {
    if (method.base === 'none') refuse(`${method.label} has no base model.`, 'Wire the model into the models input.');
    const rest = models.filter((m) => formatModelRef(m.model) !== refText);
    stages[target] = { ...current, baseModel: ref, models: rest };
  } else {
    if (models.some((m) => formatModelRef(m.model) === refText)) refuse(`${refText} is already an input of ${labelOf(current, target)}.`, 'Each model enters a merge once.');
    if (current.baseModel !== undefined && formatModelRef(current.baseModel) === refText) {
      refuse(`${refText} is already the base of ${labelOf(current, target)}.`, 'Wire a different model, or remove the base first.');
    }
    // mergekit counts models besides the base: a recipe may list the base under `models:` too.
    if (method.maxModels !== undefined && besidesBase(models, current.baseModel).length >= method.maxModels) {
      refuse(`${method.label} takes ${method.maxModels} model${method.maxModels === 1 ? '' : 's'} besides the base.`, 'Remove an input first, or pick a method that takes more.');
    }
    const entry: InputModel = { model: ref, parameters: defaultModelParameters(current.mergeMethod) };
    stages[target] = { ...current, models: [...models, entry] };
  }
  stages = stages.slice();
  return { stages, looseModels: recipe.looseModels.filter((r) => r !== refText) };
}

/** Required per-model parameters (e.g. `weight`) start at 1 so the recipe exports complete. */
function defaultModelParameters(methodId: string): Parameters {
  const out: Record<string, ParameterSetting> = {};
  for (const param of requireMethod(methodId).params) {
    if (param.scope === 'model' && param.required && param.default === undefined) out[param.name] = param.type === 'boolean' ? false : 1;
  }
  return out;
}

/** Removes the wire from `ref` into stage `target`; a model nothing uses any more stays on the canvas. */
export function disconnect(recipe: EditableRecipe, target: number, ref: string): EditableRecipe {
  const stages = recipe.stages.map((stage, i) => (i === target ? withoutInput(stage, (r) => formatModelRef(r) !== ref) : stage));
  const next = { ...recipe, stages };
  if (stageIndexOf(stages, ref) !== undefined || allModelRefs(next).includes(ref)) return next;
  return { ...next, looseModels: [...recipe.looseModels, ref] };
}

/** Removes a stage; its inputs stay on the canvas, and stages that used its result lose that input. */
export function removeStage(recipe: EditableRecipe, index: number): EditableRecipe {
  const stage = recipe.stages[index];
  if (stage === undefined) return recipe;
  const orphans = stageInputs(stage)
    .filter((input) => stageIndexOf(recipe.stages, input.ref) === undefined)
    .map((input) => formatModelRef(input.ref));
  const stages = recipe.stages
    .filter((_, i) => i !== index)
    .map((s) => (stage.name === undefined ? s : withoutInput(s, (r) => formatModelRef(r) !== stage.name)));
  const next: EditableRecipe = { stages, looseModels: recipe.looseModels };
  const used = new Set(allModelRefs(next));
  return { stages, looseModels: [...recipe.looseModels, ...orphans.filter((r) => !used.has(r))] };
}

/** Changes a stage's method, keeping the parameters the new method also has. */
export function setMethod(recipe: EditableRecipe, index: number, methodId: string): EditableRecipe {
  const method = requireMethod(methodId);
  const names = new Set(method.params.map((p) => p.name));
  const keep = (params: Parameters): Parameters => Object.fromEntries(Object.entries(params).filter(([name]) => names.has(name)));
  return mapStage(recipe, index, (stage) => {
    let next: MergeStage = {
      ...stage,
      mergeMethod: method.id,
      parameters: { ...defaultParameters(method.id), ...keep(stage.parameters) },
      ...(stage.models === undefined ? {} : { models: stage.models.map((m) => ({ ...m, parameters: { ...defaultModelParameters(method.id), ...keep(m.parameters) } })) }),
    };
    if (method.base === 'none' && next.baseModel !== undefined) {
      const { baseModel, ...rest } = next;
      next = { ...rest, models: [{ model: baseModel, parameters: defaultModelParameters(method.id) }, ...(rest.models ?? [])] };
    }
    return next;
  });
}

/**
 * Sets (or, with `undefined`, removes) a parameter: on the stage, or on one input model's entry when `model` is given.
 */
export function setParameter(recipe: EditableRecipe, index: number, name: string, value: ParameterSetting | undefined, model?: string): EditableRecipe {
  const apply = (params: Parameters): Parameters => {
    const next: Record<string, ParameterSetting> = { ...params };
    if (value === undefined) delete next[name];
    else next[name] = value;
    return next;
  };
  return mapStage(recipe, index, (stage) => {
    if (model === undefined) return { ...stage, parameters: apply(stage.parameters) };
    if (stage.models === undefined) return stage;
    return { ...stage, models: stage.models.map((m) => (formatModelRef(m.model) === model ? { ...m, parameters: apply(m.parameters) } : m)) };
  });
}

/** The parameters an edit of `setParameter(…, model)` changes: the stage's own, or one input model's entry (empty if absent). */
export function stageParameters(stage: MergeStage, model?: string): Parameters {
  if (model === undefined) return stage.parameters;
  return stage.models?.find((m) => formatModelRef(m.model) === model)?.parameters ?? {};
}

function mapStage(recipe: EditableRecipe, index: number, change: (stage: MergeStage) => MergeStage): EditableRecipe {
  return { ...recipe, stages: recipe.stages.map((stage, i) => (i === index ? change(stage) : stage)) };
}

/** How the UI names a stage: its name, or "Final merge" for the unnamed one. */
export function labelOf(stage: MergeStage, index: number): string {
  return stage.name ?? (index >= 0 ? 'the final merge' : 'merge');
}

/** A change to one source of a stage's slice: its model and/or its half-open layer range. */
export interface SliceSourceChange {
  readonly model?: string;
  readonly layerRange?: readonly [number, number];
}

function mapSlices(recipe: EditableRecipe, index: number, change: (slices: readonly Slice[]) => readonly Slice[]): EditableRecipe {
  return mapStage(recipe, index, (stage) => {
    if (stage.slices === undefined) refuse(`${labelOf(stage, index)} is not built from slices.`, 'Write `slices:` in the YAML panel to stack layers.');
    return { ...stage, slices: change(stage.slices) };
  });
}

/** Sets one slice source's model or layer range (`layer_range: [start, end)` in the YAML). */
export function setSliceSource(recipe: EditableRecipe, index: number, slice: number, source: number, change: SliceSourceChange): EditableRecipe {
  return mapSlices(recipe, index, (slices) =>
    slices.map((s, i) =>
      i !== slice
        ? s
        : {
            ...s,
            sources: s.sources.map((src, j) =>
              j !== source
                ? src
                : { ...src, ...(change.model === undefined ? {} : { model: refOf(change.model) }), ...(change.layerRange === undefined ? {} : { layerRange: change.layerRange }) },
            ),
          },
    ),
  );
}

/** Appends a slice: the last slice's first source, continuing where its range ends (`length` layers). */
export function addSlice(recipe: EditableRecipe, index: number, length = 4): EditableRecipe {
  return mapSlices(recipe, index, (slices) => {
    const last = slices[slices.length - 1]?.sources[0];
    if (last === undefined) refuse('There is no slice to continue from.', 'Write the first slice in the YAML panel.');
    const start = last.layerRange?.[1] ?? 0;
    return [...slices, { sources: [{ model: last.model, layerRange: [start, start + length], parameters: {} }], parameters: {} }];
  });
}

export function removeSlice(recipe: EditableRecipe, index: number, slice: number): EditableRecipe {
  return mapSlices(recipe, index, (slices) => {
    if (slices.length <= 1) refuse('A stage built from slices needs at least one slice.', 'Delete the merge instead.');
    return slices.filter((_, i) => i !== slice);
  });
}

/**
 * What is wrong with a stage's slices, given each model's layer count where its headers are read: a range must be
 * `0 ≤ start < end ≤ layers`, and the sources of one slice must span the same number of layers.
 */
export function sliceProblems(stage: MergeStage, layersOf: (ref: string) => number | undefined): string[] {
  const problems: string[] = [];
  (stage.slices ?? []).forEach((slice, i) => {
    const spans = new Set<number>();
    for (const source of slice.sources) {
      const ref = formatModelRef(source.model);
      const layers = layersOf(ref);
      const [start, end] = source.layerRange ?? [0, layers ?? 0];
      if (source.layerRange !== undefined) {
        if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) problems.push(`Slice ${i + 1}: ${ref} [${start}, ${end}) is not a layer range (needs 0 ≤ start < end).`);
        else if (layers !== undefined && end > layers) problems.push(`Slice ${i + 1}: ${ref} has ${layers} layers, so the range [${start}, ${end}) runs past its end.`);
      }
      spans.add(end - start);
    }
    if (spans.size > 1) problems.push(`Slice ${i + 1}: its sources span different numbers of layers (${[...spans].join(', ')}).`);
  });
  return problems;
}
