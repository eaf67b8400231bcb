/**
 * Try it, end to end against the built app: merge the bundled demo into a folder, load the result into llama.cpp in
 * the tab (converted to GGUF by the engine), load a parent beside it, chat with both at temperature 0 and measure
 * perplexity; the page is cross-origin isolated (COOP/COEP), so llama.cpp may use threads.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';

import { answerPickersWithOpfs } from './picked-folder';
import { startWithRunDrawerOpen } from './run-drawer';
import { screenshot } from './screens';

test.describe.configure({ timeout: 240_000 });

const PICKED = 'tryit-output';

test.beforeEach(async ({ page }) => {
  await startWithRunDrawerOpen(page);
  await answerPickersWithOpfs(page, PICKED);
});

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.querySelector('[data-testid="tryit"]')?.scrollIntoView({ block: 'start' }));
  await screenshot(page, name);
}

test('after the demo merge, Try it loads it and a parent, chats with both and compares perplexity', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const outside: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('http://127.0.0.1') && !url.startsWith('blob:') && !url.startsWith('data:')) outside.push(url);
  });
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await page.getByRole('button', { name: 'Load the demo' }).click();
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  await expect(page.getByTestId('tryit')).toHaveCount(0);
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expect(page.getByTestId('result-files')).toContainText('model.safetensors', { timeout: 60_000 });

  const panel = page.getByTestId('tryit');
  await expect(panel).toBeVisible();
  await panel.getByRole('button', { name: 'Load the merge' }).click();
  await expect(page.getByTestId('tryit-merge-status')).toContainText('8 layers, 2048 tokens', { timeout: 90_000 });
  await expect(page.getByTestId('tryit-merge-status')).not.toContainText('not cross-origin isolated');
  await panel.getByLabel('Parent').selectOption('demo-llama-base');
  await panel.getByRole('button', { name: 'Load beside it' }).click();
  await expect(page.getByTestId('tryit-parent-status')).toContainText('8 layers, 2048 tokens', { timeout: 90_000 });
  await expect(page.getByTestId('tryit-parent')).toContainText('demo-llama-base');

  await panel.getByLabel('Temperature').fill('0');
  await panel.getByLabel('Max tokens').fill('12');
  await panel.getByLabel('Prompt').fill('Hello world! How are you today?');
  await panel.getByRole('button', { name: 'Send' }).click();
  for (const id of ['merge', 'parent']) {
    await expect(page.getByTestId(`tryit-${id}`).locator('.tryit-user')).toHaveText('Hello world! How are you today?');
    await expect(page.getByTestId(`tryit-${id}`).locator('.tryit-assistant')).toHaveCount(1, { timeout: 60_000 });
  }
  await expect(page.getByTestId('tryit-merge-status')).toContainText('tokens/s');
  await expect(panel.getByRole('button', { name: 'Send' })).toBeEnabled();
  await shot(page, 'tryit-1-chat');

  // The built-in sample: the demo's random weights make lone UTF-8 bytes their top guess on it many times (byte
  // tokens are relabelled for llama.cpp, so that no longer breaks a step).
  await panel.getByRole('button', { name: 'Measure perplexity' }).click();
  const table = page.getByTestId('tryit-perplexity');
  await expect(table.locator('tbody tr')).toHaveCount(2, { timeout: 90_000 });
  await expect(table.locator('tbody tr').first()).toContainText('demo-merge');
  await expect(table.locator('tbody tr').nth(1)).toContainText('demo-llama-base');
  const values = await table.locator('tbody tr td:nth-child(2)').allTextContents();
  for (const v of values) expect(Number(v)).toBeGreaterThan(1);
  await shot(page, 'tryit-2-perplexity');
  // The measured rows land in the publish panel's model card draft.
  const card = page.getByTestId('publish-panel').getByLabel('Model card');
  await expect(card).toHaveValue(/## Measurements[\s\S]*### Perplexity[\s\S]*\| demo-merge \| \d+\.\d{3} \| \d+ \|\n\| demo-llama-base \| \d+\.\d{3} \| \d+ \|/);
  const inCard = /\| demo-merge \| (\d+\.\d{3}) \|/.exec(await card.inputValue())?.[1];
  expect(inCard).toBe(values[0]);
  expect(errors).toEqual([]);
  expect(outside).toEqual([]);
});
