/**
 * The run half of the studio, end to end against the built app: take the bundled demo, merge it into a folder (the
 * directory picker answers with an OPFS folder, the same File System Access code path), compare the output tensor by
 * tensor with the CPU engine's result computed here in Node; cancel mid-run, reload, resume, and get the same bytes —
 * also for a recipe over local folders chosen with the picker, reopened from their remembered handles.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';

import { DEMO_MODELS, writeDemo } from '../scripts/demo/demo-models';
import { MemoryDirectorySink } from '../src/io/sink/memory-sink';
import { tensorDifferences } from '../test/compare-models';
import { writeModel } from '../test/fixtures/models';
import { TINY_LLAMA } from '../test/fixtures/standard';
import { readOpfsFolder } from './opfs';
import { cpuMerge } from './cpu-merge';
import { PICKED, answerPickersWithOpfs, notice } from './picked-folder';
import type { PickerWindow } from './picked-folder';
import { cancelOnceShardsWritten, startWithRunDrawerOpen } from './run-drawer';
import { screenshot } from './screens';
import { loadDemoInShards } from './studio-page';

// Each test merges the demo once or twice in the page and once in Node; a busy machine needs more than the default.
test.describe.configure({ timeout: 120_000 });

/** The demo merged by the CPU engine in Node, with the options the test picks in the UI. */
async function expectedOutput(maxShardBytes: number): Promise<Map<string, Uint8Array>> {
  const folders = new Map<string, MemoryDirectorySink>();
  const manifest = await writeDemo(new MemoryDirectorySink(), (id) => {
    const dir = new MemoryDirectorySink(id);
    folders.set(id, dir);
    return Promise.resolve(dir);
  });
  return cpuMerge(manifest.recipe, new Map([...folders].map(([id, dir]) => [id, dir.files])), manifest.outputName, maxShardBytes);
}

async function expectSameFolder(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>): Promise<void> {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  expect(await tensorDifferences(actual, expected)).toEqual([]);
  for (const [name, bytes] of expected) expect(Buffer.compare(Buffer.from(actual.get(name) ?? []), Buffer.from(bytes)), name).toBe(0);
}

test.beforeEach(async ({ page }) => {
  // These tests work in the run area.
  await startWithRunDrawerOpen(page);
  await answerPickersWithOpfs(page);
});

/** A screenshot of the viewport with the run area scrolled to the top, as a user at 1280×800 sees it. */
async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.querySelector('.run-area')?.scrollIntoView({ block: 'start' }));
  await screenshot(page, name);
}

/** Loads the demo with its output in shards of at most `shard` (by default 1 MB: 5 to 9 shards). */
async function takeDemo(page: Page, shard?: string, shards?: RegExp): Promise<void> {
  await page.goto('/');
  await loadDemoInShards(page, shard, shards);
}

/** The Cancelled notice says how many shards are finished: at least one, and not all (the run stopped mid-way). */
async function expectCancelledMidRun(page: Page): Promise<void> {
  const cancelled = notice(page, 'Cancelled');
  await expect(cancelled).toContainText(/[1-9]\d* of \d+ shards are finished/);
  const [, finished, total] = /(\d+) of (\d+) shards are finished/.exec(await cancelled.innerText()) ?? [];
  expect(Number(finished)).toBeLessThan(Number(total));
}

test('the demo merges offline into the picked folder, tensor for tensor the CPU engine result', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const outside: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1')) outside.push(request.url());
  });
  await page.goto('/');
  await expect(page.getByTestId('demo-offer')).toBeVisible();
  await expect(page.getByText('Running on the CPU')).toBeVisible();
  await screenshot(page, 'run-1-first-open');
  await takeDemo(page);
  await expect(page.getByText('Demo recipe')).toContainText(DEMO_MODELS[0].id);
  // The demo's LoRA-tuned input shows its model's header facts and the adapter.
  const chat = page.getByTestId('model-item-demo-llama-chat+demo-llama-lora');
  await expect(chat).toContainText('LlamaForCausalLM');
  await expect(chat).toContainText('demo-llama-lora');
  await expect(page.getByTestId('model-node-demo-llama-chat')).not.toContainText('Headers not read');
  // Its adapter is a LoRA node between the model and the merge, with the adapter's own facts.
  await expect(page.getByTestId('lora-node-demo-llama-chat+demo-llama-lora')).toContainText('rank');
  await shot(page, 'run-2-planned');

  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expect(page.locator('.shard-written').first()).toBeVisible();
  await shot(page, 'run-3-running');
  await expect(notice(page, 'Merged')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('output-folder')).toHaveText(PICKED);
  await expect(page.getByTestId('result-files')).toContainText('model.safetensors.index.json');
  await shot(page, 'run-4-done');
  const expected = await expectedOutput(1e6);
  await expectSameFolder(await readOpfsFolder(page, PICKED), expected);

  // Again into the same, now full, folder: refused with the reason, then written over when the user says so.
  await page.getByRole('button', { name: 'Merge again' }).click();
  const refused = notice(page, 'The merge stopped');
  await expect(refused).toContainText(`The output folder ${PICKED} is not empty`);
  await shot(page, 'run-4b-not-empty');
  await expect(page.getByTestId('run-progress')).toHaveCount(0);
  await refused.getByRole('button', { name: 'Write into it anyway' }).click();
  await expect(notice(page, 'Merged')).toBeVisible({ timeout: 30_000 });
  await expectSameFolder(await readOpfsFolder(page, PICKED), expected);
  expect(outside).toEqual([]);
  expect(errors).toEqual([]);
});

test('cancel mid-run, reload, resume: the finished shards are kept and the bytes match', async ({ page }) => {
  // Small shards, and Cancel clicked as the first one is written: the rest of the run is still to do when it lands.
  await takeDemo(page, '250kB', /Shards\s*[1-9]\d/);
  await cancelOnceShardsWritten(page, 0);
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expectCancelledMidRun(page);
  await shot(page, 'run-5-cancelled');

  await page.reload();
  const pending = page.getByRole('status').filter({ hasText: `An unfinished merge into “${PICKED}”` });
  await expect(pending).toBeVisible();
  // The autosaved demo recipe gets the bundled demo files back: its nodes show their facts again.
  await expect(page.getByTestId('model-node-demo-llama-base')).toContainText('LlamaForCausalLM');
  await expect(page.getByTestId('lora-node-demo-llama-chat+demo-llama-lora')).toContainText('rank');
  await shot(page, 'run-6-after-reload');
  await pending.getByRole('button', { name: 'Resume…' }).click();
  const merged = notice(page, 'Merged');
  await expect(merged).toBeVisible({ timeout: 30_000 });
  await expect(merged).toContainText(/kept from the interrupted run/);
  await shot(page, 'run-7-resumed');

  await expectSameFolder(await readOpfsFolder(page, PICKED), await expectedOutput(250e3));
  // The resume is remembered no longer: once the autosaved demo recipe has its files back, no resume is offered.
  await page.reload();
  await expect(page.getByTestId('model-node-demo-llama-base')).toContainText('LlamaForCausalLM');
  await expect(page.getByRole('status').filter({ hasText: 'An unfinished merge into' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Choose folder and merge' })).toBeVisible();
});

test('a reload in the middle of a run (no cancel): resume keeps the finished shards, drops the leftovers, and the bytes match', async ({ page }) => {
  await takeDemo(page);
  // The tab goes away while a shard is being written: its worker dies with a temporary file open. The page reloads
  // itself once a shard is written and others are not: reloading from the test came too late once, the run over.
  await cancelOnceShardsWritten(page, 0, 'reload');
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  const pending = page.getByRole('status').filter({ hasText: `An unfinished merge into “${PICKED}”` });
  await expect(pending).toBeVisible();
  await pending.getByRole('button', { name: 'Resume…' }).click();
  const merged = notice(page, 'Merged');
  await expect(merged).toBeVisible({ timeout: 30_000 });
  await expect(merged).toContainText(/kept from the interrupted run/);
  // Every entry of the folder, hidden temporaries included, is exactly the uninterrupted merge's.
  await expectSameFolder(await readOpfsFolder(page, PICKED), await expectedOutput(1e6));
});

/** Two local folders: a tiny Llama and its fine-tuned sibling, each a few hundred kB. */
const LOCAL_MODELS = [
  { name: 'local-llama-base', spec: { ...TINY_LLAMA, layers: 8, seed: 201 } },
  { name: 'local-llama-tuned', spec: { ...TINY_LLAMA, layers: 8, seed: 201, derivedFrom: { seed: 202, scale: 0.3 } } },
] as const;

const LOCAL_RECIPE = `merge_method: slerp
base_model: local-llama-base
models:
  - model: local-llama-base
  - model: local-llama-tuned
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 1]
    - value: 0.3
dtype: bfloat16
`;

/** Writes each folder's files into an OPFS folder of the same name, for the input picker to answer with. */
async function writeOpfsFolders(page: Page, folders: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>): Promise<void> {
  const payload = [...folders].map(([name, files]) => ({ name, files: [...files].map(([file, bytes]) => ({ file, base64: Buffer.from(bytes).toString('base64') })) }));
  await page.evaluate(async (all) => {
    const root = await navigator.storage.getDirectory();
    for (const folder of all) {
      const dir = await root.getDirectoryHandle(folder.name, { create: true });
      for (const { file, base64 } of folder.files) {
        const writable = await (await dir.getFileHandle(file, { create: true })).createWritable();
        await writable.write(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
        await writable.close();
      }
    }
  }, payload);
}

/**
 * Opens the studio with {@link LOCAL_MODELS} chosen with the input picker, {@link LOCAL_RECIPE} in the YAML panel and
 * 40 kB shards (10 to 19 of them); returns the folders' files.
 */
async function openLocalRecipe(page: Page): Promise<Map<string, Map<string, Uint8Array>>> {
  const folders = new Map<string, Map<string, Uint8Array>>();
  for (const model of LOCAL_MODELS) {
    const dir = new MemoryDirectorySink(model.name);
    await writeModel(dir, model.spec);
    folders.set(model.name, dir.files);
  }
  await page.goto('/');
  await writeOpfsFolders(page, folders);
  for (const model of LOCAL_MODELS) {
    await page.evaluate((name) => void ((window as unknown as PickerWindow).nextInputFolder = name), model.name);
    await page.locator('.dropzone').getByRole('button', { name: 'Choose folder…' }).click();
    await expect(page.getByTestId(`model-item-${model.name}`)).toContainText('LlamaForCausalLM');
  }
  await page.getByRole('textbox', { name: 'Recipe YAML' }).fill(LOCAL_RECIPE);
  await expect(page.locator('.inputs-line summary')).toHaveText('Recipe: local-llama-base · local-llama-tuned');
  await page.getByLabel('Largest shard').fill('40kB');
  await page.getByLabel('Largest shard').press('Enter');
  await expect(page.getByTestId('plan-summary')).toContainText(/Shards\s*1\d/);
  return folders;
}

test('local folders chosen with the picker: cancel mid-run, reload, resume reopens them and the bytes match', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const folders = await openLocalRecipe(page);

  // Cancel the moment half the shards are written, so that the resumed half ends about as soon as the studio has read
  // the reopened folders.
  await cancelOnceShardsWritten(page, 0.5);
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expectCancelledMidRun(page);

  await page.reload();
  const pending = page.getByRole('status').filter({ hasText: `An unfinished merge into “${PICKED}”` });
  await pending.getByRole('button', { name: 'Resume…' }).click();
  const merged = notice(page, 'Merged');
  await expect(merged).toBeVisible({ timeout: 30_000 });
  await expect(merged).toContainText(/kept from the interrupted run/);
  // The reopened folders are back on the canvas, read from their remembered handles.
  for (const model of LOCAL_MODELS) await expect(page.getByTestId(`model-item-${model.name}`)).toContainText('LlamaForCausalLM');

  await expectSameFolder(await readOpfsFolder(page, PICKED), await cpuMerge(LOCAL_RECIPE, folders, 'merged-model', 40e3));
  // The folders arriving on the canvas do not make the studio plan the same recipe again over the finished run.
  await expect(merged).toBeVisible();
  await expect(page.getByTestId('output-folder')).toHaveText(PICKED);
  expect(errors).toEqual([]);
});

test('a resume after the recipe changed starts over, names the change, and writes what a fresh run of the new recipe writes', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const folders = await openLocalRecipe(page);
  await cancelOnceShardsWritten(page, 0.5);
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expectCancelledMidRun(page);

  // The recipe's t changes while the unfinished shards wait in the folder.
  const changed = LOCAL_RECIPE.replace('    - value: 0.3\n', '    - value: 0.7\n');
  expect(changed).not.toBe(LOCAL_RECIPE);
  const resume = page.getByRole('button', { name: 'Resume', exact: true });
  await expect(resume).toBeVisible();
  await page.getByRole('textbox', { name: 'Recipe YAML' }).fill(changed);
  // Resume goes while the plan catches up with the edit, and comes back for the new recipe.
  await expect(resume).toBeHidden();
  await expect(resume).toBeVisible();
  await resume.click();

  const merged = notice(page, 'Merged');
  await expect(merged).toBeVisible({ timeout: 30_000 });
  await expect(merged).not.toContainText('kept from the interrupted run');
  const restarted = notice(page, 'Started over: the unfinished shards came from other inputs');
  await expect(restarted).toContainText('the recipe changed.');
  await expect(restarted).toContainText('Shards are only kept when every input, the recipe, the output settings and the tool version are the same.');
  await restarted.scrollIntoViewIfNeeded();
  await screenshot(page, 'run-9-restarted');
  // Every file, the earlier run's shards included, is exactly what the new recipe gives from scratch.
  await expectSameFolder(await readOpfsFolder(page, PICKED), await cpuMerge(changed, folders, 'merged-model', 40e3));
  expect(errors).toEqual([]);
});

test('without a folder picker or WebGPU: notices, output in browser storage, each file downloaded', async ({ browser }) => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.addInitScript(() => {
    delete (window as { showDirectoryPicker?: unknown }).showDirectoryPicker;
    delete (Window.prototype as { showDirectoryPicker?: unknown }).showDirectoryPicker;
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
    localStorage.setItem('merge-studio:layout', JSON.stringify({ run: true }));
  });
  await page.goto('/');
  await expect(page.getByText('WebGPU is not available in this browser: the CPU backend merges on a worker per core.')).toBeVisible();
  await expect(page.getByText('No folder picker in this browser')).toBeVisible();
  await page.getByRole('button', { name: 'Load the demo' }).click();
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expect(notice(page, 'Merged')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('output-folder')).toHaveText('demo-merge');
  await shot(page, 'run-8-browser-storage');

  const expected = await expectedOutput(5e9);
  const rows = page.getByTestId('result-files').getByRole('listitem');
  await expect(rows).toHaveCount(expected.size);
  const downloaded = new Map<string, Uint8Array>();
  for (let i = 0; i < expected.size; i++) {
    const row = rows.nth(i);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download' }).click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    downloaded.set(download.suggestedFilename(), new Uint8Array(Buffer.concat(chunks)));
  }
  await expectSameFolder(downloaded, expected);
  await context.close();
});
