import { describe, expect, it } from 'vitest';

import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { GRADIENT_SLERP } from '../../test/fixtures/recipes';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';
import { createBrowserWorkerExecutor } from './browser-worker-executor';
import { runPlan } from './run-plan';

/** The files `runPlan` writes for GRADIENT_SLERP, on `executor`'s workers or on this thread. */
async function mergeFiles(executor?: ReturnType<typeof createBrowserWorkerExecutor>): Promise<Map<string, Uint8Array>> {
  const recipe = parseRecipe(GRADIENT_SLERP);
  const inputs = await loadFixtureInputs(recipe);
  const plan = compilePlan({ recipe, recipeText: GRADIENT_SLERP, models: inputs.models, adapters: inputs.adapters });
  const out = new MemoryDirectorySink('out');
  await runPlan(plan, inputs.folders, out, executor === undefined ? {} : { executor });
  return new Map(await Promise.all((await out.list()).map(async (name) => [name, (await out.readFile(name)) as Uint8Array] as const)));
}

describe("the CPU pool on the browser's workers", () => {
  it('shares the run buffers with its workers in this cross-origin isolated page, and writes the bytes of a one-thread run', async () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    const executor = createBrowserWorkerExecutor({ threads: 2 });
    try {
      expect(executor.sharesMemory).toBe(true);
      const pooled = await mergeFiles(executor);
      const here = await mergeFiles();
      expect([...pooled.keys()].sort()).toEqual([...here.keys()].sort());
      expect(pooled.size).toBeGreaterThan(1);
      for (const [name, bytes] of here) expect(pooled.get(name), name).toEqual(bytes);
    } finally {
      await executor.dispose();
    }
  });
});
