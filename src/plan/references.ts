/** Which models and adapters a recipe reads, and the key each is loaded under. */
import { formatModelRef, stageNameOf } from '../recipe/model-ref';
import type { MergeStage, ModelRef, RecipeDocument } from '../recipe/types';

/** The key a model (or adapter) reference is loaded under: path and revision, no LoRA. */
export function inputKey(ref: { readonly path: string; readonly revision?: string }): string {
  return ref.revision === undefined ? ref.path : `${ref.path}@${ref.revision}`;
}

/** Every model and adapter the recipe reads (stage names excluded): what the caller must load before compiling. */
export function referencedInputs(recipe: RecipeDocument): { models: ModelRef[]; adapters: { path: string; revision?: string }[] } {
  const stageNames = new Set(recipe.stages.flatMap((s) => (s.name === undefined ? [] : [s.name])));
  const models = new Map<string, ModelRef>();
  const adapters = new Map<string, { path: string; revision?: string }>();
  for (const stage of recipe.stages) {
    for (const ref of stageRefs(stage)) {
      if (ref.lora !== undefined) adapters.set(inputKey(ref.lora), ref.lora);
      if (stageNameOf(ref, stageNames) !== undefined) continue;
      models.set(inputKey(ref), { path: ref.path, ...(ref.revision === undefined ? {} : { revision: ref.revision }) });
    }
  }
  return { models: [...models.values()], adapters: [...adapters.values()] };
}

/** Every model reference of a stage: base, models, slice bases and sources (modules included), tokenizer source. */
export function stageRefs(stage: MergeStage): ModelRef[] {
  const bodies = [stage, ...Object.values(stage.modules ?? {})];
  const refs = [
    ...(stage.baseModel === undefined ? [] : [stage.baseModel]),
    ...bodies.flatMap((body) => [
      ...(body.models ?? []).map((m) => m.model),
      ...(body.slices ?? []).flatMap((slice) => [...(slice.baseModel === undefined ? [] : [slice.baseModel]), ...slice.sources.map((x) => x.model)]),
    ]),
  ];
  if (stage.tokenizer?.source.kind === 'model') refs.push(stage.tokenizer.source.model);
  return refs;
}

/** Whether two references name the same model (path, revision and LoRA). */
export function sameRef(a: ModelRef, b: ModelRef): boolean {
  return formatModelRef(a) === formatModelRef(b);
}
