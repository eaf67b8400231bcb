/**
 * 13B-Thorns as its card writes it, in the studio: the multi-document recipe (LoRAs baked onto two SLERP outputs and
 * one input) imported through the YAML panel over the mock Hub, drawn on the canvas, merged in the browser and compared
 * tensor by tensor with the CPU engine's result in Node; then a merge's output wired into a LoRA node by dragging.
 */
import { expect, test } from '@playwright/test';

import { THORNS } from '../test/fixtures/recipes';
import { fixtureFiles } from '../test/fixtures/recipe-inputs';
import { tensorDifferences } from '../test/compare-models';
import { standardRepos } from '../test/mock-hub/fixture-repos';
import { startMockHub } from '../test/mock-hub/server';
import type { MockHub } from '../test/mock-hub/server';
import { parseRecipe } from '../src/recipe/parse';
import { referencedInputs } from '../src/plan/references';
import { dragWire, revealNode, revealNodes } from './canvas';
import { cpuMerge } from './cpu-merge';
import { answerPickersWithOpfs, notice, readPicked } from './picked-folder';
import { startWithRunDrawerOpen } from './run-drawer';
import { screenshot } from './screens';

test.describe.configure({ timeout: 180_000 });

let hub: MockHub;

test.beforeAll(async () => {
  hub = await startMockHub({ repos: await standardRepos() });
});
test.afterAll(async () => {
  await hub.close();
});

test('the Thorns card: imported from YAML, drawn with LoRA nodes on merge outputs, merged in the browser like the CPU engine', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await startWithRunDrawerOpen(page);
  await answerPickersWithOpfs(page);
  await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  const yaml = page.getByRole('textbox', { name: 'Recipe YAML' });
  await yaml.fill(THORNS);

  // Merges feed LoRA nodes, which feed the next merge; the adapters' facts are read from the Hub and fit.
  const left = page.getByTestId('lora-node-thorns-left+tiny/llama-lora');
  await expect(left).toContainText('q_proj, v_proj');
  await expect(left).toContainText('baked into the output of thorns-left');
  await expect(page.getByTestId('lora-node-thorns-right+tiny/llama-lora-rs')).toContainText('down_proj, o_proj');
  await expect(page.getByTestId('lora-node-tiny/llama-bf16-ft4+tiny/llama-lora-fifo')).toContainText('o_proj, q_proj');
  for (const name of ['thorns-left', 'thorns-right', 'thorns-mid', 'final']) await expect(page.getByTestId(`merge-node-${name}`)).toBeVisible();
  await expect(page.getByTestId('lora-problem')).toHaveCount(0);
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  await expect(page.locator('.inputs-line summary')).toContainText(/ · on merge outputs: thorns-(left|right) \+ tiny\/llama-lora(-rs)?, thorns-(left|right) \+ tiny\/llama-lora/);
  await screenshot(page, 'thorns-canvas');
  // The LoRA node on a merge output says it fits the merge's output. (Clicked once the canvas has stopped moving: a
  // click during a fit's animation can land on the pane beside the node.)
  await revealNode(page, left);
  await left.click();
  await expect(page.getByTestId('lora-inspector').getByTestId('lora-fits')).toContainText('Fits thorns-left');

  // A merge's output dragged into the input LoRA node: the adapter now bakes into thorns-mid's output. (The canvas fits
  // at a readable zoom, where the two nodes lie further apart than the pane is wide: the drag gets a taller window and
  // zooms out until both are in view.)
  await page.setViewportSize({ width: 1280, height: 1600 });
  await page.getByRole('button', { name: 'Fit View' }).click();
  const mid = page.getByTestId('merge-node-thorns-mid');
  const fifo = page.getByTestId('lora-node-tiny/llama-bf16-ft4+tiny/llama-lora-fifo');
  await revealNodes(page, [mid, fifo]);
  await dragWire(page, mid, fifo, 'model');
  await expect(yaml).toHaveValue(/- model: thorns-mid\+tiny\/llama-lora-fifo\n/);
  await expect(page.getByTestId('lora-node-thorns-mid+tiny/llama-lora-fifo')).toContainText('baked into the output of thorns-mid');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Fit View' }).click();
  await screenshot(page, 'thorns-merge-into-lora');
  // Undo gives the card back.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(yaml).toHaveValue(/- model: tiny\/llama-bf16-ft4\+tiny\/llama-lora-fifo\n/);

  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expect(notice(page, 'Merged')).toBeVisible({ timeout: 120_000 });
  const actual = await readPicked(page);
  const recipe = parseRecipe(THORNS);
  const { models, adapters } = referencedInputs(recipe);
  const folders = new Map(await Promise.all([...models, ...adapters].map(async (ref) => [ref.path, await fixtureFiles(ref.path)] as const)));
  const expected = await cpuMerge(THORNS, folders, 'merged-model', 5e9);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  expect(await tensorDifferences(actual, expected)).toEqual([]);
  expect(new TextDecoder().decode(actual.get('config.json'))).toBe(new TextDecoder().decode(expected.get('config.json')));

  expect(errors).toEqual([]);
});
