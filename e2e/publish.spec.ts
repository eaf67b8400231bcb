/**
 * Publishing from the studio, end to end against the built app and the mock Hub (another origin, so CORS is real):
 * merge the bundled demo, sign in (an access token; Hugging Face OAuth through the mock's authorize and token
 * endpoints), edit the card, publish with per-file progress, survive a dropped part upload by resuming without
 * re-sending finished files, and check that the Hub's copy is the folder byte for byte and the token is nowhere.
 */
import { createHash } from 'node:crypto';

import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';

import { MOCK_TOKEN, startMockHub } from '../test/mock-hub/server';
import { wholeBytes } from '../test/mock-hub/mock-bytes';
import type { MockHub } from '../test/mock-hub/server';
import { readOpfsFolder } from './opfs';
import { startWithRunDrawerOpen } from './run-drawer';
import { answerPickersWithOpfs, notice } from './picked-folder';
import { screenshot } from './screens';
import { loadDemoInShards } from './studio-page';

test.describe.configure({ timeout: 150_000 });

const PICKED = 'publish-output';
let hub: MockHub;

test.beforeAll(async () => {
  hub = await startMockHub({ repos: [], cdn: true, multipartChunkBytes: 256 * 1024 });
});
test.afterAll(async () => {
  await hub.close();
});

test.beforeEach(async ({ page }) => {
  hub.reset();
  // These tests work in the run area.
  await startWithRunDrawerOpen(page);
  // Headless Chromium cannot answer a picker: answer with a folder of the origin private file system instead.
  await answerPickersWithOpfs(page, PICKED);
});


async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.querySelector('[data-testid="publish-panel"]')?.scrollIntoView({ block: 'start' }));
  await screenshot(page, name);
}

/** Loads the demo (1 MB shards, so the weights are several LFS files) and merges it into the picked folder. */
async function mergeDemo(page: Page): Promise<void> {
  await loadDemoInShards(page);
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expect(notice(page, 'Merged')).toBeVisible({ timeout: 60_000 });
}

test('sign in with a token, edit the card, publish with progress, resume after a dropped part: the Hub copy is the folder', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
  await mergeDemo(page);
  const panel = page.getByTestId('publish-panel');
  await expect(panel).toBeVisible();
  // A re-plan after the run (here: another shard size) leaves the finished folder publishable.
  await page.getByLabel('Largest shard').fill('2MB');
  await page.getByLabel('Largest shard').press('Enter');
  await expect(page.getByTestId('plan-summary')).toContainText(/Shards\s*[2-4](?!\d)/);
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Publish', exact: true })).toBeDisabled();
  await shot(page, 'publish-1-sign-in');

  await panel.getByRole('button', { name: 'or use an access token' }).click();
  await panel.getByLabel('Access token (write)').fill(MOCK_TOKEN);
  await expect(panel.getByTestId('hub-account')).toContainText('as mock-user');
  await expect(panel.getByLabel('Repository')).toHaveValue('mock-user/demo-merge');
  const card = panel.getByLabel('Model card');
  await expect(card).toHaveValue(/^---\nlibrary_name: transformers\n[\s\S]*\| layer \| t \|/);
  const edited = `${await card.inputValue()}\nEdited in the studio before publishing.\n`;
  await card.fill(edited);
  await shot(page, 'publish-2-card-editor');

  // The second part of the largest shard waits, then its connection drops mid-body (each time the browser retries it);
  // the other files finish meanwhile.
  const local = await readOpfsFolder(page, PICKED);
  const victim = createHash('sha256').update(local.get('model-00001-of-00006.safetensors')!).digest('hex');
  hub.fail({ pathIncludes: `${victim}/part/2`, times: 10, delayMs: 2500, dropRequest: true });
  await panel.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(panel.getByTestId('upload-progress')).toContainText('uploaded');
  await shot(page, 'publish-3-progress');
  const stopped = notice(page, 'Upload stopped.');
  await expect(stopped).toBeVisible({ timeout: 30_000 });
  await expect(stopped).toContainText(/The connection to .* broke while uploading to mock-user\/demo-merge\. .*publish again to resume/);
  await shot(page, 'publish-4-stopped');
  const completed = new Set(hub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/complete') && r.status === 200).map((r) => r.path.split('/').at(-2)));
  expect(completed.size).toBeGreaterThan(0);
  expect(completed.has(victim)).toBe(false);
  expect(hub.repoFiles('mock-user/demo-merge')?.size).toBe(0);

  hub.reset(); // forgets the injected failure (and the request log, counted afresh below)
  await panel.getByRole('button', { name: 'Resume upload' }).click();
  await expect(notice(page, 'Published.')).toBeVisible({ timeout: 30_000 });
  await expect(notice(page, 'Published.')).toContainText(`${completed.size} file(s) were already on the Hub`);
  await shot(page, 'publish-5-done');
  const resent = hub.requests.filter((r) => r.method === 'PUT' && [...completed].some((oid) => r.path.includes(`/${oid}/`)));
  expect(resent).toEqual([]);

  expect(hub.requests.some((r) => r.path.includes(`/${victim}/part/2`) && r.status === 200)).toBe(true);
  const remote = hub.repoFiles('mock-user/demo-merge')!;
  expect([...remote.keys()].sort()).toEqual([...local.keys()].sort());
  for (const [name, bytes] of local) {
    const expected = name === 'README.md' ? new TextEncoder().encode(edited) : bytes;
    expect(Buffer.compare(Buffer.from(wholeBytes(remote.get(name))!), Buffer.from(expected)), name).toBe(0);
  }
  // Private by default; the token went to the Hub only, and is in no body, URL, stored value or file.
  expect((await fetch(`${hub.url}/api/models/mock-user/demo-merge`)).status).toBe(401);
  expect(hub.requests.filter((r) => r.server === 'cdn').some((r) => r.hasAuthorization)).toBe(false);
  expect(hub.bodies.some((b) => b.includes(MOCK_TOKEN))).toBe(false);
  expect(hub.requests.some((r) => r.path.includes(MOCK_TOKEN))).toBe(false);
  expect(JSON.stringify(await page.evaluate(() => ({ ...localStorage, ...sessionStorage })))).not.toContain(MOCK_TOKEN);
  for (const [name, bytes] of local) expect(Buffer.from(bytes).includes(MOCK_TOKEN), name).toBe(false);
  expect(errors).toEqual([]);
});

test('sign in with Hugging Face: OAuth with PKCE through the Hub endpoint, back to the studio signed in', async ({ page }) => {
  await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
  await page.getByText('Settings: Hub endpoint and access token').click();
  await page.getByRole('button', { name: 'Sign in with Hugging Face (to publish)' }).click();
  // Consent is automatic at the mock: the page comes back with a code, exchanges it, and drops it from the address.
  await expect.poll(() => hub.requests.some((r) => r.path === '/oauth/token' && r.status === 200), { timeout: 20_000 }).toBe(true);
  await expect.poll(() => new URL(page.url()).searchParams.has('code')).toBe(false);
  expect(new URL(page.url()).searchParams.get('hub')).toBe(hub.url);
  expect(hub.requests.find((r) => r.path === '/oauth/userinfo' && r.method === 'GET')?.hasAuthorization).toBe(true);
  await mergeDemo(page);
  const panel = page.getByTestId('publish-panel');
  await expect(panel.getByTestId('hub-account')).toContainText('as mock-user');
  await shot(page, 'publish-6-oauth-signed-in');
  expect(JSON.stringify(await page.evaluate(() => ({ ...localStorage })))).not.toContain('hf_oauth_');
});

test('a refused sign-in says so and leaves the address clean', async ({ page }) => {
  await page.goto(`/?hub=${encodeURIComponent(hub.url)}&error=access_denied&error_description=The+user+denied+access&state=%7B%7D`);
  await expect(page.getByRole('alert').filter({ hasText: 'Signing in with Hugging Face failed' })).toContainText('access_denied: The user denied access');
  await expect.poll(() => page.url()).toBe(`${new URL(page.url()).origin}/?hub=${encodeURIComponent(hub.url)}`);
});
