import { readAdapterFolder } from '../io/model/load-adapter';
import { cachedModel } from '../io/model/hub-cache';
import type { Model, ModelFolder } from '../io/model/types';
import { inputKey, referencedInputs } from '../plan/compile';
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
  await Promise.all(
    models.map(async (ref) => {
      const model = await cachedModel(await resolve(ref.path, ref.revision), { signal });
      out.models.set(inputKey(ref), model);
      out.folders.set(inputKey(ref), model.folder);
    }),
  );
  await Promise.all(
    adapters.map(async (ref) => {
      const folder = await resolve(ref.path, ref.revision);
      const { model, config } = await readAdapterFolder(folder, ref.path, signal);
      out.adapters.set(inputKey(ref), { model, config: parseLoraConfig(config, ref.path) });
      out.folders.set(inputKey(ref), folder);
    }),
  );
  return out;
}
