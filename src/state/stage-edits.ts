/**
 * Edits of the merge stages: adding and removing one, wiring a model or another stage into it, its method and its
 * parameters. Each refused edit throws an `AppError` saying why.
 */
import { getMethod } from '../methods/registry';
import { besidesBase, formatModelRef, splitLoraRef } from '../recipe/model-ref';
import type { InputModel, MergeStage, ModelRef, ParameterSetting, Parameters } from '../recipe/types';
import { AppError } from '../shared/errors';
import { refOf, withoutInput } from './model-edits';
import { allModelRefs, labelOf, stageIndexOf, stageInputs, upstreamStages } from './recipe-graph';
import type { EditableRecipe, InputRole, WireSource } from './recipe-graph';

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

/** `merge-N`, the first N no stage is named yet. */
export function freshName(stages: readonly MergeStage[]): string {
  for (let n = stages.length + 1; ; n++) {
    const name = `merge-${n}`;
    if (!stages.some((s) => s.name === name)) return name;
  }
}

export function requireMethod(id: string) {
  const method = getMethod(id);
  if (method === undefined) throw new AppError('E_UNKNOWN_METHOD', `Unknown merge method ${id}.`, { hint: 'Pick a method from the list.' });
  return method;
}

export function refuse(message: string, hint: string): never {
  throw new AppError('E_RECIPE_INVALID', message, { hint });
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
    // A LoRA node on a stage's output (`stage+adapter`) reads that stage: no loops either.
    const upstream = stageIndexOf(stages, refText);
    if (upstream !== undefined && (upstream === target || upstreamStages(stages, upstream).has(target))) {
      refuse('That wire would make a loop: a merge cannot use its own result.', 'Wire earlier merges into later ones.');
    }
  }
  const current = stages[target] as MergeStage;
  if (current.slices !== undefined || current.modules !== undefined) {
    refuse(`${labelOf(current, target)} is built from slices or modules.`, 'Edit its slices in the YAML panel.');
  }
  const ref: ModelRef = source.kind === 'stage' ? { path: refText } : refOf(refText);
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
  // A plain stage reference is no node of its own; a LoRA node on a stage (`stage+adapter`) stays on the canvas.
  if ((stageIndexOf(stages, ref) !== undefined && splitLoraRef(ref).lora === undefined) || allModelRefs(next).includes(ref)) return next;
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
    .map((s) => (stage.name === undefined ? s : withoutInput(s, (r) => r.path !== stage.name || r.revision !== undefined)));
  // LoRA nodes on its output that fed no merge go with it.
  const looseModels = recipe.looseModels.filter((r) => stage.name === undefined || splitLoraRef(r).model !== stage.name);
  const next: EditableRecipe = { stages, looseModels };
  const used = new Set(allModelRefs(next));
  return { stages, looseModels: [...looseModels, ...orphans.filter((r) => !used.has(r))] };
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

export function mapStage(recipe: EditableRecipe, index: number, change: (stage: MergeStage) => MergeStage): EditableRecipe {
  return { ...recipe, stages: recipe.stages.map((stage, i) => (i === index ? change(stage) : stage)) };
}

