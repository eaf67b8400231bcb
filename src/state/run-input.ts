/**
 * What Run merges when the recipe is the user's own: its local folders by their files (as added in this page), Hub
 * models read with the current Hub settings. After a reload the files are gone until the user adds the folders again;
 * `missingLocalFolders` names them. `canvasRunInput` decides when the canvas's recipe replaces the job's input.
 */
import type { HubAccess, SourceSpec } from '../engine/api';
import { parseModelRefString } from '../recipe/model-ref';
import { parseRecipe } from '../recipe/parse';
import type { MergeStage } from '../recipe/types';
import type { RunInput } from './job-slice';
import { allModelRefs, stageIndexOf } from './recipe-graph';
import type { SourcesSlice } from './sources-slice';
import type { AppState } from './store';

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
  return localFoldersMissing(parseRecipe(recipeText).stages, sources);
}

/** The same for stages already parsed, against any record keyed by folder name (run sources, the studio's files). */
export function localFoldersMissing(stages: readonly MergeStage[], present: Readonly<Record<string, unknown>>): string[] {
  const paths = allModelRefs({ stages, looseModels: [] }).flatMap((text) => {
    const ref = parseModelRefString(text);
    if (typeof ref === 'string') return [];
    // `stage+adapter`: the stage is made by the run, its adapter is read.
    return [...(stageIndexOf(stages, ref) === undefined ? [ref.path] : []), ...(ref.lora === undefined ? [] : [ref.lora.path])];
  });
  return [...new Set(paths)].filter((path) => !isHubId(path) && present[path] === undefined);
}

/** Whether two run inputs merge the same thing: recipe, origin, Hub access, and each source (files by identity). */
export function sameRunInput(a: RunInput, b: RunInput): boolean {
  if (a.recipeText !== b.recipeText || a.origin !== b.origin || a.hub.endpoint !== b.hub.endpoint || a.hub.token !== b.hub.token) return false;
  const refs = Object.keys(a.sources);
  if (refs.length !== Object.keys(b.sources).length) return false;
  return refs.every((ref) => {
    const x = a.sources[ref];
    const y = b.sources[ref];
    if (x === undefined || y === undefined || x.kind !== y.kind) return false;
    if (x.kind === 'files' && y.kind === 'files') return x.name === y.name && x.files.length === y.files.length && x.files.every((file, i) => file === y.files[i]);
    if (x.kind === 'hub' && y.kind === 'hub') return x.repo === y.repo && x.revision === y.revision;
    return x.kind === 'directory' && y.kind === 'directory' && x.handle === y.handle;
  });
}

export type CanvasState = Pick<AppState, 'job' | 'recipe' | 'yamlText' | 'yamlError' | 'localFiles' | 'hubEndpoint' | 'hubToken'>;

/**
 * What the job should merge for the recipe on the canvas: its run input; `undefined` when the recipe is empty or does
 * not parse; or `'keep'` when the job's input stays: a run in progress, the untouched demo, or an input that already is
 * the canvas's (a resume puts its recipe and reopened folders on the canvas and sets that input; setting it again
 * would drop the job's plan, result or error).
 */
export function canvasRunInput(state: CanvasState): RunInput | undefined | 'keep' {
  const { job, yamlText } = state;
  if (job.phase === 'running' || (job.input?.origin === 'demo' && job.input.recipeText === yamlText)) return 'keep';
  if (state.yamlError !== undefined || state.recipe.stages.length === 0) return undefined;
  const input = recipeRunInput(yamlText, state.localFiles, state.hubEndpoint, state.hubToken);
  return job.input !== undefined && sameRunInput(job.input, input) ? 'keep' : input;
}
