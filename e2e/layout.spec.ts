/**
 * The studio as a workspace (issue: the canvas dominates, nodes are readable, guidance instead of alarms): the demo,
 * lzlv and a Thorns-shaped recipe at 1280×800 and 1920×1080, each checked for overflow, the canvas's share of the
 * window (before and after a run) and the size of node text on screen; then the findings a new user ran into.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';

import { LZLV } from '../test/fixtures/recipes';
import { standardRepos } from '../test/mock-hub/fixture-repos';
import { startMockHub } from '../test/mock-hub/server';
import type { MockHub } from '../test/mock-hub/server';
import { answerPickersWithOpfs } from './picked-folder';
import { canvasShare, workspaceShot } from './screens';
import { openFreshStudio } from './studio-page';

test.describe.configure({ timeout: 180_000 });

/** Thorns-shaped: nested multi-document SLERP merges whose inputs carry LoRA adapters. */
const THORNS = `name: thorns-left
merge_method: slerp
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16-ft+tiny/llama-lora
parameters:
  t: [0, 0.3, 0.7, 1]
dtype: bfloat16
---
name: thorns-right
merge_method: slerp
base_model: tiny/llama-bf16-ft2+tiny/llama-lora
models:
  - model: tiny/llama-bf16
parameters:
  t: 0.5
dtype: bfloat16
---
merge_method: slerp
base_model: thorns-left
models:
  - model: thorns-right
parameters:
  t: [0.2, 0.8]
dtype: bfloat16
`;

/** Not a safetensors file: a header length far beyond the file. */
const DAMAGED = new Uint8Array([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0x7b, 0x7d]);
const BROKEN_ID = 'broken/llama-with-a-rather-long-repository-name-bf16';

let hub: MockHub;

test.beforeAll(async () => {
  const config = new TextEncoder().encode(JSON.stringify({ architectures: ['LlamaForCausalLM'], num_hidden_layers: 4 }));
  const broken = { id: BROKEN_ID, files: new Map([['config.json', config], ['model.safetensors', DAMAGED]]) };
  hub = await startMockHub({ repos: [...(await standardRepos()), broken] });
});
test.afterAll(async () => {
  await hub.close();
});

test.beforeEach(async ({ page }) => {
  await answerPickersWithOpfs(page, 'layout-output');
});

/** Opens a fresh studio (no autosave carried over) against the mock Hub. */
const openStudio = (page: Page) => openFreshStudio(page, hub.url);

/** Every parameter field on the canvas shows its whole value (no text scrolled out of the box). */
async function cutParamFields(page: Page): Promise<string[]> {
  return page.locator('.react-flow__node .param-field input').evaluateAll((inputs) =>
    (inputs as HTMLInputElement[]).filter((i) => i.scrollWidth > i.clientWidth + 1).map((i) => `${i.id}: ${i.value}`),
  );
}

const measured: string[] = [];
test.afterAll(() => {
  // The figures behind the report: canvas share of the window and the smallest node text on screen.
  console.log(measured.join('\n'));
});

for (const size of [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
]) {
  test(`at ${size.width}×${size.height} the canvas dominates and nodes are readable: lzlv, Thorns, the demo before and after a run`, async ({ page }) => {
    await page.setViewportSize(size);
    const errors = await openStudio(page);
    const tag = `${size.width}x${size.height}`;
    const shot = async (name: string) => {
      const { share, textPx } = await workspaceShot(page, `layout-${name}-${tag}`);
      measured.push(`${name} ${tag}: canvas ${(share * 100).toFixed(1)} % of the window, smallest node text ${textPx.toFixed(1)} px`);
    };
    const yaml = page.getByRole('textbox', { name: 'Recipe YAML' });

    // The demo from the run drawer's status line, merged without opening the drawer.
    const status = page.getByTestId('run-status');
    await page.getByTestId('run-drawer').getByRole('button', { name: 'Load the demo' }).click();
    await expect(status).toContainText('Ready');
    await expect(page.getByTestId('model-node-demo-llama-base')).toContainText('LlamaForCausalLM');
    await shot('demo');
    await page.getByTestId('run-drawer').getByRole('button', { name: 'Choose folder and merge' }).click();
    await expect(status).toContainText(/^Merged · \d+ files in layout-output/, { timeout: 120_000 });
    await shot('demo-merged');
    // Nothing lies over the canvas after the run: its centre is the canvas's own.
    expect(await page.evaluate(() => {
      const box = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
      return box === undefined ? false : document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2)?.closest('[data-testid="canvas"]') !== null;
    })).toBe(true);

    // Opened, the drawer shows the run's files; closed again, the canvas takes its room back.
    const toggle = page.getByRole('button', { name: 'Run', exact: true });
    await toggle.click();
    await expect(page.getByTestId('result-files')).toContainText('model.safetensors');
    const open = await canvasShare(page);
    await toggle.click();
    expect(await canvasShare(page)).toBeGreaterThan(open);
    measured.push(`drawer open ${tag}: canvas ${(open * 100).toFixed(1)} %`);

    await yaml.fill(LZLV);
    await expect(page.locator('[data-testid^="merge-node-"]')).toHaveCount(3);
    await expect(page.getByTestId('model-node-tiny/llama-bf16-ft2')).toContainText('LlamaForCausalLM');
    // The t gradient shows whole: `[0.25, 0.3, 0.5]`, not `0.25, 0.3, 0.5]`.
    await expect(page.getByTestId('merge-node-component-1').getByRole('textbox', { name: 't', exact: true })).toHaveValue('[0.25, 0.3, 0.5]');
    expect(await cutParamFields(page)).toEqual([]);
    // Wiring handles: a hit area of at least 16 px on screen.
    const handles = await page.locator('.react-flow__node .react-flow__handle').evaluateAll((all) => all.map((h) => Math.min(h.getBoundingClientRect().width, h.getBoundingClientRect().height)));
    expect(Math.min(...handles)).toBeGreaterThanOrEqual(16);
    await shot('lzlv');

    await yaml.fill(THORNS);
    await expect(page.locator('[data-testid^="merge-node-"]')).toHaveCount(3);
    await expect(page.locator('[data-testid^="lora-node-"]')).toHaveCount(2);
    await expect(page.getByTestId('lora-node-tiny/llama-bf16-ft+tiny/llama-lora')).toContainText('rank');
    expect(await cutParamFields(page)).toEqual([]);
    await shot('thorns');

    expect(errors).toEqual([]);
  });
}

test('side columns collapse to rails, the canvas grows, and the choice survives a reload', async ({ page }) => {
  await openStudio(page);
  const before = await canvasShare(page);
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await page.getByRole('button', { name: 'Inspector and recipe', exact: true }).click();
  await expect(page.getByRole('textbox', { name: 'Recipe YAML' })).toBeHidden();
  const collapsed = await canvasShare(page);
  expect(collapsed).toBeGreaterThan(before + 0.2);
  measured.push(`1280x800 both side columns collapsed: canvas ${(collapsed * 100).toFixed(1)} % (open: ${(before * 100).toFixed(1)} %)`);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Models', exact: true })).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByLabel('Search models on the Hub')).toBeHidden();
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await expect(page.getByLabel('Search models on the Hub')).toBeVisible();
});

test('a new SLERP node says what it needs on the node; the run area says to finish the recipe, without YAML line numbers', async ({ page }) => {
  await openStudio(page);
  await page.getByText('+ Add merge…').click();
  await page.getByRole('group', { name: 'Add a merge node' }).getByRole('button', { name: 'SLERP', exact: true }).click();
  const needs = page.getByTestId('merge-node-final').getByTestId('stage-needs');
  await expect(needs).toContainText('wire a model into base');
  await expect(needs).toContainText('wire a model into models');
  const status = page.getByTestId('run-status');
  await expect(status).toContainText('Finish the recipe on the canvas');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.locator('.notice', { hasText: 'Finish the recipe' })).toContainText('wire a model into base');
  await page.waitForTimeout(800); // the recipe reaches the planner after a pause: its verdict must not add line numbers
  await expect(page.getByTestId('run-drawer')).not.toContainText(/line \d+/i);
  await expect(page.getByTestId('run-drawer')).not.toContainText('cannot be planned');
});

test('the models column: ids whole, one size in search and on the node, errors that fit their box and their source', async ({ page }) => {
  await openStudio(page);
  await page.getByLabel('Search models on the Hub').fill('llama');
  await page.getByRole('button', { name: 'Search' }).click();
  const results = page.getByRole('list', { name: 'Search results' });
  const long = results.locator('.hit-name', { hasText: BROKEN_ID });
  await expect(long).toBeVisible();
  // The whole id is on screen (wrapped), not cut with an ellipsis.
  expect(await long.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && getComputedStyle(el).textOverflow !== 'ellipsis')).toBe(true);
  const hit = results.locator('.hit', { hasText: 'tiny/llama-bf16-ft2' });
  const searchSize = await hit.getByTitle(/parameters$/).textContent();
  await page.getByRole('button', { name: 'Add tiny/llama-bf16-ft2', exact: true }).click();
  const node = page.getByTestId('model-node-tiny/llama-bf16-ft2');
  await expect(node.locator('.fact', { hasText: 'size' }).locator('dd')).toHaveText(searchSize ?? '');
  await expect(page.getByTestId('model-item-tiny/llama-bf16-ft2').locator('.fact', { hasText: 'size' }).locator('dd')).toHaveText(searchSize ?? '');

  // A damaged file on the Hub: the hint points at the repository, not at downloading the file again.
  await page.getByRole('button', { name: `Add ${BROKEN_ID}`, exact: true }).click();
  const hubError = page.getByTestId(`model-error-${BROKEN_ID}`);
  await expect(hubError).toContainText('model.safetensors');
  await expect(hubError.locator('.error-hint')).toContainText('on the Hub');
  await expect(hubError.locator('.error-hint')).not.toContainText('download or export it again');

  // The same damage in a local folder: download or export it again.
  const broken = join(await mkdtemp(join(tmpdir(), 'merge-studio-layout-')), 'broken-local-model-with-a-long-folder-name');
  await mkdir(broken);
  await writeFile(join(broken, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], num_hidden_layers: 4 }));
  await writeFile(join(broken, 'model.safetensors'), DAMAGED);
  await page.getByTestId('folder-input').setInputFiles(broken);
  const localError = page.getByTestId('model-error-broken-local-model-with-a-long-folder-name');
  await expect(localError.locator('.error-hint')).toContainText('download or export it again');
  // workspaceShot checks every model item, search hit and error note against its box.
  await workspaceShot(page, 'layout-models-column');
});

test('keyboard: Delete removes the selected node, Ctrl+Z brings it back, Ctrl+Shift+Z removes it again; focus moves left to right', async ({ page }) => {
  await openStudio(page);
  await page.getByRole('textbox', { name: 'Recipe YAML' }).fill(LZLV);
  const component = page.getByTestId('merge-node-component-2');
  await expect(component).toBeVisible();
  await component.locator('.node-title').click();
  await page.keyboard.press('Delete');
  await expect(page.locator('[data-testid^="merge-node-"]')).toHaveCount(2);
  await expect(component).toHaveCount(0); // the selected node, not another one
  await page.keyboard.press('Control+z');
  await expect(page.locator('[data-testid^="merge-node-"]')).toHaveCount(3);
  await expect(component).toBeVisible();
  await page.keyboard.press('Control+Shift+z');
  await expect(page.locator('[data-testid^="merge-node-"]')).toHaveCount(2);
  await expect(component).toHaveCount(0);
  await page.keyboard.press('Control+y'); // nothing left to redo: no change
  await expect(page.locator('[data-testid^="merge-node-"]')).toHaveCount(2);

  // Tab walks the columns in reading order (models, canvas and run, inspector) with a visible focus ring.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  const columns: string[] = [];
  for (let i = 0; i < 150; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (el === null) return { column: 'none', ring: false };
      const column = el.closest('.side-left') ? 'left' : el.closest('.centre') ? 'centre' : el.closest('.side-right') ? 'right' : 'header';
      const path = el.closest('.react-flow__edge')?.querySelector('path');
      if (path !== undefined && path !== null) return { column, ring: parseFloat(getComputedStyle(path).strokeWidth) >= 3 };
      const style = getComputedStyle(el.classList.contains('react-flow__node') ? (el.querySelector('.node') ?? el) : el);
      return { column, ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
    });
    if (columns.at(-1) !== where.column) columns.push(where.column);
    expect(where.ring, `focus ring on a ${where.column} element`).toBe(true);
    if (where.column === 'right') break;
  }
  expect(columns.filter((c) => c !== 'header').slice(0, 3)).toEqual(['left', 'centre', 'right']);
});
