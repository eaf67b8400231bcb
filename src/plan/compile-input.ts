/** What the planner is given: the recipe, its text, and the loaded headers of every model and adapter it reads. */
import type { Model } from '../io/model/types';
import type { RecipeDocument } from '../recipe/types';
import type { LoadedAdapter } from './lora';

export interface CompileInput {
  readonly recipe: RecipeDocument;
  /** The recipe exactly as the user wrote it (written as mergekit_config.yml and into the model card). */
  readonly recipeText: string;
  /** Input models by {@link inputKey}. */
  readonly models: ReadonlyMap<string, Model>;
  /** LoRA adapters by {@link inputKey} of the adapter reference. */
  readonly adapters?: ReadonlyMap<string, LoadedAdapter>;
  readonly maxShardBytes?: number;
  readonly seed?: number;
  /** Heading of the model card (the output folder's name). */
  readonly outputName?: string;
  /** Version string recorded in the index metadata and the card. */
  readonly toolVersion?: string;
}
