/** The demo merge (scripts/demo) exported as GGUF in memory, through the same plan, run and GGUF writer as the studio. */
import { DEMO_MODELS, DEMO_RECIPE } from '../../scripts/demo/demo-models';
import { planGgufForMerge } from '../engine/gguf-output';
import { loadInputs } from '../engine/load-inputs';
import { runPlan } from '../engine/run-plan';
import type { GgufOutputType } from '../io/gguf/types';
import { memoryFolder } from '../io/model/memory-folder';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';

export async function demoMergeGguf(type: GgufOutputType): Promise<Uint8Array> {
  const files = new Map<string, Map<string, Uint8Array>>();
  for (const model of DEMO_MODELS) {
    const dir = new MemoryDirectorySink();
    await model.write(dir);
    files.set(model.id, dir.files);
  }
  const recipe = parseRecipe(DEMO_RECIPE);
  const inputs = await loadInputs(recipe, (path) => Promise.resolve(memoryFolder(path, files.get(path) ?? new Map())));
  const plan = compilePlan({ recipe, recipeText: DEMO_RECIPE, models: inputs.models, adapters: inputs.adapters });
  const open = (input: string, file: string) => {
    const folder = inputs.folders.get(input);
    if (folder === undefined) throw new Error(`no folder ${input}`);
    return folder.open(file);
  };
  const gguf = await planGgufForMerge(plan, open, { type, name: 'demo-merge' });
  const out = new MemoryDirectorySink();
  await runPlan(plan, inputs.folders, out, { gguf: { plan: gguf, only: true } });
  const bytes = out.files.get(gguf.files[0]?.file ?? '');
  if (bytes === undefined) throw new Error('no GGUF written');
  return bytes;
}
