import { readAdapterFolder } from '../io/model/load-adapter';
import { cachedModel } from '../io/model/hub-cache';
import { AppError } from '../shared/errors';
import type { Model, ModelFolder } from '../io/model/types';
import type { SafetensorsHeader } from '../io/safetensors/types';
import { inputKey, referencedInputs } from '../plan/references';
import { parseLoraConfig } from '../plan/lora';
import type { LoadedAdapter } from '../plan/lora';
import type { RecipeDocument } from '../recipe/types';

/** Opens a model or adapter reference: a local folder, or a Hub repo at a revision. */
export type ResolveFolder = (path: string, revision: string | undefined) => Promise<ModelFolder>;

export interface LoadedInputs {
  readonly models: Map<string, Model>;
  readonly adapters: Map<string, LoadedAdapter>;
  /** Every folder by plan input key, for the run. */
  readonly folders: Map<string, ModelFolder>;
}

/** Loads every model and LoRA adapter a recipe reads — headers and small JSON only, never weights. */
export async function loadInputs(recipe: RecipeDocument, resolve: ResolveFolder, signal?: AbortSignal): Promise<LoadedInputs> {
  const { models, adapters } = referencedInputs(recipe);
  const out: LoadedInputs = { models: new Map(), adapters: new Map(), folders: new Map() };
  // Loaded concurrently, but recorded in the recipe's order: the plan, its metadata and the model card list inputs in
  // this order, and every output byte must not depend on which header arrived first.
  const loadedModels = await Promise.all(models.map(async (ref) => cachedModel(await resolve(ref.path, ref.revision), { signal })));
  models.forEach((ref, i) => {
    const model = loadedModels[i] as Model;
    if (model.config === undefined) throw configMissing(model);
    out.models.set(inputKey(ref), model);
    out.folders.set(inputKey(ref), model.folder);
  });
  const loadedAdapters = await Promise.all(
    adapters.map(async (ref) => {
      const folder = await resolve(ref.path, ref.revision);
      const { model, config } = await readAdapterFolder(folder, ref.path, signal);
      return { folder, adapter: { model, config: parseLoraConfig(config, ref.path) } };
    }),
  );
  adapters.forEach((ref, i) => {
    const { folder, adapter } = loadedAdapters[i] as { folder: ModelFolder; adapter: LoadedAdapter };
    out.adapters.set(inputKey(ref), adapter);
    out.folders.set(inputKey(ref), folder);
  });
  return out;
}

/** The safetensors headers the loader parsed, by plan input key and weight file (models and adapters), for `runPlan`. */
export function parsedHeaders(inputs: Pick<LoadedInputs, 'models' | 'adapters'>): Map<string, ReadonlyMap<string, SafetensorsHeader>> {
  const out = new Map<string, ReadonlyMap<string, SafetensorsHeader>>();
  for (const [key, model] of inputs.models) out.set(key, model.headers);
  for (const [key, adapter] of inputs.adapters) out.set(key, adapter.model.headers);
  return out;
}

/** mergekit reads every input's config.json to check the architecture and to write the output's; so does the plan. */
function configMissing(model: Model): AppError {
  const adapter = model.files.some((f) => f.path === 'adapter_config.json');
  return new AppError('E_CONFIG_MISSING', `${model.ref} has no config.json.`, {
    context: { model: model.ref, file: 'config.json' },
    hint: adapter
      ? `${model.ref} is a LoRA adapter: write it as base_model+${model.ref} to bake it into its base model.`
      : `Copy config.json of the model into ${model.ref} (it comes with the weights on the Hub), then run again.`,
  });
}
