import { expect, test } from '@playwright/test';
import type { Locator, Page } from '@playwright/test';

import { parseRecipe } from '../src/recipe/parse';
import { standardRepos } from '../test/mock-hub/fixture-repos';
import { startMockHub } from '../test/mock-hub/server';
import type { MockHub } from '../test/mock-hub/server';
import { addByRepoId, dragWire, revealNode } from './canvas';
import { screenshot } from './screens';

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

test('attach a LoRA to a merge input (model+lora in the YAML), remove it, and pin a revision (repo@revision) picked from the repo\'s branches and tags', async ({ page }) => {
  const { errors, yaml } = await openWithRecipe(page, SLERP);
  const inspector = page.getByTestId('stage-inspector');
  await inspector.getByLabel('LoRA adapter for tiny/llama-bf16-ft').fill('tiny/llama-lora');
  await inspector.getByRole('button', { name: 'Attach LoRA' }).last().click();
  await expect(inspector.getByTestId('lora-attached')).toContainText('tiny/llama-lora');
  await expect(yaml).toHaveValue(/tiny\/llama-bf16-ft\+tiny\/llama-lora/);
  const stage = parseRecipe(await yaml.inputValue()).stages[0];
  expect(stage?.models?.find((m) => m.model.path === 'tiny/llama-bf16-ft')?.model.lora).toEqual({ path: 'tiny/llama-lora' });
  // The canvas shows the adapter as a LoRA node between the model and the merge, with the adapter's facts.
  const node = page.getByTestId('lora-node-tiny/llama-bf16-ft+tiny/llama-lora');
  await expect(node).toContainText('q_proj, v_proj');
  await screenshot(page, 'studio-lora-attached');

  await inspector.getByRole('button', { name: 'Remove LoRA' }).click();
  await expect(yaml).not.toHaveValue(/\+/);
  await expect(node).toHaveCount(0);

  await page.getByTestId('model-node-tiny/llama-bf16-ft').click();
  await page.getByLabel('Revision').fill('main');
  await page.getByRole('button', { name: 'Pin revision' }).click();
  await expect(yaml).toHaveValue(/tiny\/llama-bf16-ft@main/);
  await expect(page.getByTestId('model-node-tiny/llama-bf16-ft@main')).toContainText('LlamaForCausalLM');

  // The revision field offers the repo's branches and tags (from the Hub's refs); a tag pins like a branch.
  await page.getByTestId('model-node-tiny/llama-bf16').click();
  const choices = page.getByTestId('revision-choices').locator('option');
  await expect(choices).toHaveCount(3);
  expect(await choices.evaluateAll((options) => options.map((o) => `${(o as HTMLOptionElement).value} (${(o as HTMLOptionElement).label})`))).toEqual([
    expect.stringMatching(/^main \(branch · [0-9a-f]{7}\)$/),
    expect.stringMatching(/^dev \(branch · [0-9a-f]{7}\)$/),
    expect.stringMatching(/^v1\.0 \(tag · [0-9a-f]{7}\)$/),
  ]);
  await page.getByLabel('Revision').fill('v1.0');
  await page.getByRole('button', { name: 'Pin revision' }).click();
  await expect(yaml).toHaveValue(/base_model: tiny\/llama-bf16@v1\.0\n/);
  await expect(page.getByTestId('model-node-tiny/llama-bf16@v1.0')).toContainText('LlamaForCausalLM');
  // The inspector gives the vocabulary size too (rows of the embeddings), which some methods need to agree.
  await expect(page.locator('.model-inspector .fact', { hasText: 'vocabulary' })).toContainText('256');
  await screenshot(page, 'studio-revision-pinned');
  expect(errors).toEqual([]);
});

test('a LoRA node sits between a model and a merge: the adapter\'s facts, wired by dragging, refused on a model it does not fit, deleted with its wire', async ({ page }) => {
  const { errors, yaml } = await openWithRecipe(page, SLERP);
  await page.getByTestId('model-node-tiny/llama-bf16-ft').click();
  await page.getByLabel('LoRA adapter to put on tiny/llama-bf16-ft').fill('tiny/llama-lora');
  await page.getByRole('button', { name: 'Add LoRA node' }).click();
  const node = page.getByTestId('lora-node-tiny/llama-bf16-ft+tiny/llama-lora');
  await expect(node).toContainText('q_proj, v_proj');
  const inspector = page.getByTestId('lora-inspector');
  await expect(inspector).toContainText('rank r4');
  await expect(inspector).toContainText('Wire it into a merge.');
  await expect(inspector.getByTestId('lora-fits')).toContainText('Fits tiny/llama-bf16-ft');

  // The plain input out, the LoRA node in, by dragging its wire onto the merge.
  const merge = page.getByTestId('merge-node-final');
  await revealNode(page, merge);
  await merge.click();
  await page.getByTestId('stage-inspector').getByLabel('Disconnect tiny/llama-bf16-ft').click();
  await dragWire(page, node, merge, 'models');
  await expect(yaml).toHaveValue(/- model: tiny\/llama-bf16-ft\+tiny\/llama-lora\n/);
  await node.click();
  await expect(inspector).toContainText('It feeds the final merge.');
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  await screenshot(page, 'studio-lora-node');

  // A narrower model wired into the LoRA node is refused with the reason; the recipe is unchanged.
  await addByRepoId(page, 'tiny/llama-narrow');
  const narrow = page.getByTestId('model-node-tiny/llama-narrow');
  await expect(narrow).toContainText('LlamaForCausalLM');
  await dragWire(page, narrow, node, 'model');
  const notice = page.getByTestId('wire-notice');
  await expect(notice).toContainText(/LoRA tiny\/llama-lora does not fit model\.layers\.\d\.self_attn\.[qv]_proj\.weight of tiny\/llama-narrow/);
  await expect(yaml).toHaveValue(/tiny\/llama-bf16-ft\+tiny\/llama-lora/);
  await screenshot(page, 'studio-lora-refused');

  // A model it fits takes the adapter over.
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await dragWire(page, page.getByTestId('model-node-tiny/llama-bf16'), node, 'model');
  await expect(yaml).toHaveValue(/- model: tiny\/llama-bf16\+tiny\/llama-lora\n/);
  const moved = page.getByTestId('lora-node-tiny/llama-bf16+tiny/llama-lora');
  await expect(moved).toBeVisible();

  // Deleting the node drops its wire; the models stay on the canvas.
  await moved.click();
  await page.keyboard.press('Backspace');
  await expect(moved).toHaveCount(0);
  await expect(yaml).not.toHaveValue(/\+/);
  await expect(page.getByTestId('model-node-tiny/llama-bf16-ft')).toBeVisible();
  await expect(yaml).toHaveValue(/models:\n {2}- model: tiny\/llama-bf16\nparameters:/);
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
  await screenshot(page, 'studio-nearswap-share');
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
