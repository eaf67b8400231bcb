/** What the studio's output is compared with in end-to-end runs: the CPU engine's result, computed in Node. */
import { loadInputs } from '../src/engine/load-inputs';
import { runPlan } from '../src/engine/run-plan';
import { TOOL_VERSION } from '../src/engine/service';
import { memoryFolder } from '../src/io/model/memory-folder';
import { MemoryDirectorySink } from '../src/io/sink/memory-sink';
import { compilePlan } from '../src/plan/compile';
import { provenanceMetadata } from '../src/plan/describe';
import { parseRecipe } from '../src/recipe/parse';

/** `recipeText` merged by the CPU engine in Node from `folders` (files by model reference), with the page's options. */
export async function cpuMerge(recipeText: string, folders: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>, outputName: string, maxShardBytes: number): Promise<Map<string, Uint8Array>> {
  const recipe = parseRecipe(recipeText);
  const inputs = await loadInputs(recipe, (path) => Promise.resolve(memoryFolder(path, folders.get(path) ?? new Map())));
  const plan = compilePlan({ recipe, recipeText, models: inputs.models, adapters: inputs.adapters, maxShardBytes, seed: 0, outputName, toolVersion: `merge-studio ${TOOL_VERSION}` });
  const out = new MemoryDirectorySink('expected');
  await runPlan(plan, inputs.folders, out, { metadata: provenanceMetadata(plan, recipeText, TOOL_VERSION), indexMetadata: { mergekit_version: `merge-studio ${TOOL_VERSION}` } });
  return out.files;
}

