/**
 * GGUF export in the studio: the demo merged with "safetensors + GGUF" into a picked folder (an OPFS folder answers
 * the picker, the same File System Access path); the plan shows the GGUF file and size, the result lists it, the model
 * card mentions it, and its bytes equal the CPU engine's GGUF export computed here in Node.
 */
import { expect, test } from '@playwright/test';

import { writeDemo } from '../scripts/demo/demo-models';
import { planGgufForMerge, openPlanInput } from '../src/engine/gguf-output';
import { loadInputs } from '../src/engine/load-inputs';
import { runPlan } from '../src/engine/run-plan';
import { TOOL_VERSION } from '../src/engine/service';
import { memoryFolder } from '../src/io/model/memory-folder';
import { MemoryDirectorySink } from '../src/io/sink/memory-sink';
import { compilePlan } from '../src/plan/compile';
import { withGgufInCard } from '../src/plan/gguf-card';
import { parseRecipe } from '../src/recipe/parse';
import { answerPickersWithOpfs, notice } from './picked-folder';
import { startWithRunDrawerOpen } from './run-drawer';
import { screenshot } from './screens';

test.describe.configure({ timeout: 120_000 });

const PICKED = 'gguf-output';

/** The demo's GGUF (q8_0) as the CPU engine writes it in Node. */
async function expectedGguf(): Promise<Uint8Array> {
  const folders = new Map<string, MemoryDirectorySink>();
  const manifest = await writeDemo(new MemoryDirectorySink(), (id) => {
    const dir = new MemoryDirectorySink(id);
    folders.set(id, dir);
    return Promise.resolve(dir);
  });
  const recipe = parseRecipe(manifest.recipe);
  const inputs = await loadInputs(recipe, (path) => Promise.resolve(memoryFolder(path, folders.get(path)?.files ?? new Map())));
  const compiled = compilePlan({ recipe, recipeText: manifest.recipe, models: inputs.models, adapters: inputs.adapters, seed: 0, outputName: manifest.outputName, toolVersion: `merge-studio ${TOOL_VERSION}` });
  const gguf = await planGgufForMerge(compiled, (input, file) => openPlanInput(inputs.folders, input, file), { type: 'q8_0', name: manifest.outputName });
  const out = new MemoryDirectorySink('expected');
  await runPlan(withGgufInCard(compiled, gguf), inputs.folders, out, { gguf: { plan: gguf, only: false } });
  return out.files.get(`${manifest.outputName}.gguf`) ?? new Uint8Array();
}

test('the demo merges into safetensors and a Q8_0 GGUF in one run', async ({ page }) => {
  await startWithRunDrawerOpen(page);
  await answerPickersWithOpfs(page, PICKED);
  await page.goto('/');
  await page.getByRole('button', { name: 'Load the demo' }).click();
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  // GGUF only: the plan lists the GGUF file where the shards would be.
  await page.getByLabel('Format').selectOption('gguf');
  await page.getByLabel('GGUF type').selectOption('q8_0');
  await expect(page.getByTestId('plan-summary')).toContainText(/GGUF\s*Q8_0, 1 file/);
  await expect(page.getByTestId('plan-summary')).not.toContainText('Shards');
  await page.getByLabel('Format').selectOption('both');
  await expect(page.getByTestId('plan-summary')).toContainText(/Shards\s*\d+\s*GGUF\s*Q8_0, 1 file/);
  await expect(page.getByTestId('gguf-estimate')).toContainText(/demo-merge\.gguf · 2\.\d+ MB/);
  await page.evaluate(() => document.querySelector('.run-area')?.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'gguf-1-settings');
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expect(notice(page, 'Merged')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('result-files')).toContainText('demo-merge.gguf');
  await expect(page.getByTestId('result-files')).toContainText('model.safetensors');
  await screenshot(page, 'gguf-2-done');
  const read = (file: string) =>
    page.evaluate(
      async ([dir, name]) => {
        const handle = await (await (await navigator.storage.getDirectory()).getDirectoryHandle(dir as string)).getFileHandle(name as string);
        return [...new Uint8Array(await (await handle.getFile()).arrayBuffer())];
      },
      [PICKED, file],
    );
  expect(Buffer.from(await read('README.md')).toString('utf8')).toContain('`demo-merge.gguf`: the same merged weights for llama.cpp');
  expect(Buffer.compare(Buffer.from(await read('demo-merge.gguf')), Buffer.from(await expectedGguf()))).toBe(0);
});
