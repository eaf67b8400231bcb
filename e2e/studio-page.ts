/** Opening the studio in an end-to-end test: a fresh page against the mock Hub, or the bundled demo. */
import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';

/** Opens a fresh studio (no autosave carried over) against the Hub at `hubUrl`; returns the page errors as they come. */
export async function openFreshStudio(page: Page, hubUrl: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`/?hub=${encodeURIComponent(hubUrl)}`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Merge Studio' })).toBeVisible();
  return errors;
}

/** Loads the demo on the open page with shards of at most `shard` (1 MB: 5 to 9 shards), so that its weights are several files. */
export async function loadDemoInShards(page: Page, shard = '1MB', shards = /Shards\s*[5-9]/): Promise<void> {
  await expect(page.getByTestId('demo-offer')).toBeVisible();
  await page.getByRole('button', { name: 'Load the demo' }).click();
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  await page.getByLabel('Largest shard').fill(shard);
  await page.getByLabel('Largest shard').press('Enter');
  await expect(page.getByTestId('plan-summary')).toContainText(shards);
}
