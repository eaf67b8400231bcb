/**
 * What Run merges when the recipe is the user's own: its local folders by their files (as added in this page), Hub
 * models read with the current Hub settings. After a reload the files are gone until the user adds the folders again;
 * `missingLocalFolders` names them.
 */
import type { HubAccess, SourceSpec } from '../engine/api';
import { parseModelRefString } from '../recipe/model-ref';
import { parseRecipe } from '../recipe/parse';
import type { RunInput } from './job-slice';
import { allModelRefs } from './recipe-edit';
import type { SourcesSlice } from './sources-slice';

/** A reference the engine would look up on the Hub: `owner/name` with an optional `@revision`. */
const HUB_ID = /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/;

export function isHubId(ref: string): boolean {
  return HUB_ID.test(ref);
}

export function recipeRunInput(recipeText: string, localFiles: SourcesSlice['localFiles'], endpoint: string, token: string): RunInput {
  const sources: Record<string, SourceSpec> = Object.fromEntries(Object.entries(localFiles).map(([ref, local]) => [ref, { kind: 'files' as const, name: local.name, files: local.files }]));
  const hub: HubAccess = { endpoint, ...(token === '' ? {} : { token }) };
  return { recipeText, sources, hub, origin: 'recipe' };
}

/** Folder names the recipe reads that are neither Hub ids nor among `sources` (models and LoRA adapters). */
export function missingLocalFolders(recipeText: string, sources: RunInput['sources']): string[] {
  const stages = parseRecipe(recipeText).stages;
  const paths = allModelRefs({ stages, looseModels: [] }).flatMap((text) => {
    const ref = parseModelRefString(text);
    if (typeof ref === 'string') return [];
    return [ref.path, ...(ref.lora === undefined ? [] : [ref.lora.path])];
  });
  return [...new Set(paths)].filter((path) => !isHubId(path) && sources[path] === undefined);
}
