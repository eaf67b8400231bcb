import { expect, test } from '@playwright/test';
import type { Locator, Page } from '@playwright/test';

import { parseRecipe } from '../src/recipe/parse';
import { standardRepos } from '../test/mock-hub/fixture-repos';
import { startMockHub } from '../test/mock-hub/server';
import type { MockHub } from '../test/mock-hub/server';

const SHOTS = 'test-results/screenshots';
let hub: MockHub;

test.beforeAll(async () => {
  hub = await startMockHub({ repos: await standardRepos() });
});
test.afterAll(async () => {
  await hub.close();
});

const SLERP = `merge_method: slerp
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16
  - model: tiny/llama-bf16-ft
parameters:
  t: 0.5
dtype: bfloat16
`;

test('attach a LoRA to a merge input (model+lora in the YAML), remove it, and pin a revision (repo@revision)', async ({ page }) => {
  const { errors, yaml } = await openWithRecipe(page, SLERP);
  const inspector = page.getByTestId('stage-inspector');
  await inspector.getByLabel('LoRA adapter for tiny/llama-bf16-ft').fill('tiny/llama-lora');
  await inspector.getByRole('button', { name: 'Attach LoRA' }).last().click();
  await expect(inspector.getByTestId('lora-attached')).toContainText('tiny/llama-lora');
  await expect(yaml).toHaveValue(/tiny\/llama-bf16-ft\+tiny\/llama-lora/);
  const stage = parseRecipe(await yaml.inputValue()).stages[0];
  expect(stage?.models?.find((m) => m.model.path === 'tiny/llama-bf16-ft')?.model.lora).toEqual({ path: 'tiny/llama-lora' });
  await page.screenshot({ path: `${SHOTS}/studio-lora-attached.png` });

  await inspector.getByRole('button', { name: 'Remove LoRA' }).click();
  await expect(yaml).not.toHaveValue(/\+/);

  await page.getByTestId('model-node-tiny/llama-bf16-ft').click();
  await page.getByLabel('Revision').fill('main');
  await page.getByRole('button', { name: 'Pin revision' }).click();
  await expect(yaml).toHaveValue(/tiny\/llama-bf16-ft@main/);
  await page.screenshot({ path: `${SHOTS}/studio-revision-pinned.png` });
  expect(errors).toEqual([]);
});

const NEARSWAP = `merge_method: nearswap
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16
  - model: tiny/llama-bf16-ft
parameters:
  t: 0.0001
dtype: bfloat16
`;

test('NearSwap t on a log scale shows the share of weights that moves, measured on sampled tensors of the two models', async ({ page }) => {
  const { errors, yaml } = await openWithRecipe(page, NEARSWAP);
  const share = page.getByTestId('nearswap-share');
  await expect(share).toContainText('% of weights taken from the other model');
  const before = shareOf(await share.innerText());
  const slider = page.getByLabel('NearSwap t (log scale)');
  await expect(slider).toHaveValue('-4');
  await slider.fill('-1');
  await expect(yaml).toHaveValue(/t: 0\.1\b/);
  await expect(share).not.toHaveText(/^\s*$/);
  await expect.poll(async () => shareOf(await share.innerText())).toBeGreaterThan(before);
  await page.screenshot({ path: `${SHOTS}/studio-nearswap-share.png` });
  expect(errors).toEqual([]);
});

/** A fresh studio at 1280×800 on the mock Hub with `recipe` in the YAML panel and its final merge selected. */
async function openWithRecipe(page: Page, recipe: string): Promise<{ errors: string[]; yaml: Locator }> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  const yaml = page.getByRole('textbox', { name: 'Recipe YAML' });
  await yaml.fill(recipe);
  await page.getByTestId('merge-node-final').click();
  return { errors, yaml };
}

/** The percentage in "12.3% of weights taken from the other model…". */
function shareOf(text: string): number {
  const match = /([\d.]+)% of weights/.exec(text);
  if (match === null) throw new Error(`no share in ${JSON.stringify(text)}`);
  return Number(match[1]);
}
