/**
 * The weight lens in the studio, end to end against the built app: on the bundled demo, the cost is shown before it
 * starts, the heatmap draws layers × modules, hovering a cell shows the numbers the engine computes in Node for the
 * same files, and a click on a row picks that layer in the gradient editor.
 */
import { expect, test } from '@playwright/test';

import { writeDemo } from '../scripts/demo/demo-models';
import { planLens, runLens } from '../src/engine/lens';
import { loadModel } from '../src/io/model/load-model';
import { memoryFolder } from '../src/io/model/memory-folder';
import type { Model } from '../src/io/model/types';
import { MemoryDirectorySink } from '../src/io/sink/memory-sink';
import { lensGrid } from '../src/methods/lens-grid';
import { landedSummary } from '../src/app/lens/lens-summary';
import { GEOMETRY, heatmapColumns, whereLanded } from '../src/app/lens/lens-view';
import { readOpfsFolder } from './opfs';
import { answerPickersWithOpfs, notice } from './picked-folder';
import { startWithRunDrawerOpen } from './run-drawer';
import { screenshot } from './screens';

test.describe.configure({ timeout: 120_000 });

const OUTPUT = 'lens-output';

/** The demo's models, generated in Node as the page gets them. */
async function demoModels() {
  const folders = new Map<string, MemoryDirectorySink>();
  await writeDemo(new MemoryDirectorySink(), (id) => {
    const dir = new MemoryDirectorySink(id);
    folders.set(id, dir);
    return Promise.resolve(dir);
  });
  const model = (id: string) => loadModel(memoryFolder(id, (folders.get(id) as MemoryDirectorySink).files));
  return Promise.all([model('demo-llama-base'), model('demo-llama-chat')]);
}

/** A lens in Node the way the page runs it (fast mode). */
async function nodeLens(a: Model, b: Model) {
  return runLens(planLens(a, b, { mode: 'fast' }), a, b);
}

/** The demo's base against its sibling. */
async function expectedGrid() {
  const [a, b] = await demoModels();
  return lensGrid(await nodeLens(a, b));
}

test.beforeEach(async ({ page }) => {
  // Headless Chromium cannot answer a picker: the output folder is a folder of the origin private file system.
  await startWithRunDrawerOpen(page);
  await answerPickersWithOpfs(page, OUTPUT);
});

test('the lens heatmap of the demo: cost first, exact numbers on hover, a click picks the layer in the gradient editor', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/');
  await page.getByRole('button', { name: 'Load the demo' }).click();
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  const panel = page.getByTestId('lens-panel');
  await panel.locator('summary').click();
  await expect(panel.getByLabel('Model a')).toHaveValue('demo-llama-base');
  await expect(panel.getByLabel('Model b')).toHaveValue('demo-llama-chat+demo-llama-lora');
  await expect(panel).toContainText('compared without it');
  // The cost, from headers alone, before anything is read.
  await expect(panel.getByTestId('lens-cost')).toContainText(/75 tensors in common, [\d.]+ [kM]B to read, about/);
  await panel.getByRole('button', { name: 'Run lens' }).click();
  const heatmap = panel.getByTestId('lens-heatmap');
  await expect(heatmap).toBeVisible();

  const rows = await expectedGrid();
  const columns = heatmapColumns(rows);
  const rowIndex = rows.findIndex((r) => r.label === 'layer 2');
  const column = columns.indexOf('q');
  const cell = rows[rowIndex]?.cells.q?.metrics.relative_difference as number;
  const { labelWidth, cellWidth, rowHeight, headerHeight } = GEOMETRY;
  await heatmap.hover({ position: { x: labelWidth + (column + 0.5) * cellWidth, y: headerHeight + (rowIndex + 0.5) * rowHeight } });
  const tooltip = panel.getByTestId('lens-tooltip');
  await expect(tooltip).toContainText('layer 2 · q');
  await expect(tooltip).toContainText(`relative_difference: ${cell.toPrecision(6)}`);
  await expect(tooltip).toContainText('model.layers.2.self_attn.q_proj.weight');
  // The stage's t for the layer is beside it (the demo's default curve: 0.5).
  await expect(tooltip).toContainText('t 0.500');
  // Each module on its own colour range shows how layers differ within a module.
  await panel.getByLabel('scale each module on its own').check();
  await expect(panel.getByLabel('Colour scale')).toContainText('per module');
  await heatmap.hover({ position: { x: labelWidth + (column + 0.5) * cellWidth, y: headerHeight + (rowIndex + 0.5) * rowHeight } });
  await screenshot(page, 'lens-heatmap');

  // Colour by cosine: the tooltip leads with it.
  await panel.getByLabel('Lens metric').selectOption('cosine');
  await heatmap.hover({ position: { x: labelWidth + (column + 0.5) * cellWidth, y: headerHeight + (rowIndex + 0.5) * rowHeight + 1 } });
  await expect(tooltip).toContainText(`cosine: ${(rows[rowIndex]?.cells.q?.metrics.cosine as number).toPrecision(6)}`);

  // A click on layer 5's row selects the merge and highlights layer 5 in its gradient editor.
  const five = rows.findIndex((r) => r.label === 'layer 5');
  await heatmap.click({ position: { x: 10, y: headerHeight + (five + 0.5) * rowHeight } });
  const focused = page.locator('.layer-table tr[aria-current="true"]');
  await expect(focused).toHaveCount(1);
  await expect(focused.locator('td').first()).toHaveText('5');
  await expect(page.getByTestId('focused-layer-dot')).toBeVisible();
  // The arrow keys move the picked layer.
  await heatmap.press('ArrowDown');
  await expect(focused.locator('td').first()).toHaveText('6');
  // Exact mode: the worker takes the GPU only where merges would (a hardware adapter); headless Chromium has only
  // SwiftShader, so the CPU computes it, and the panel says so.
  await expect(panel).toContainText('computed on the CPU');
  await panel.getByLabel('Lens mode').selectOption('exact');
  await expect(panel.getByTestId('lens-cost')).toContainText('75 tensors in common');
  await panel.getByRole('button', { name: 'Run lens' }).click();
  await expect(panel).toContainText(/exact · computed on the CPU, \d+ workers? · [\d.]+ s/);
  expect(errors).toEqual([]);
});

test('after a merge, where it landed: per layer the output’s distance to each parent, as computed in Node', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Load the demo' }).click();
  await expect(page.getByTestId('plan-summary')).toContainText('Tensors');
  await page.getByRole('button', { name: 'Choose folder and merge' }).click();
  await expect(notice(page, 'Merged')).toBeVisible({ timeout: 60_000 });
  const panel = page.getByTestId('lens-panel');
  await panel.locator('summary').click();
  await panel.getByRole('button', { name: 'Run lens' }).click();
  await expect(panel.getByTestId('lens-heatmap')).toBeVisible();
  await panel.getByRole('button', { name: 'Where the merge landed' }).click();
  const table = panel.getByRole('table', { name: 'Where the merge landed' });
  await expect(table.locator('tbody tr')).toHaveCount(10);

  const [base, chat] = await demoModels();
  const files = await readOpfsFolder(page, OUTPUT);
  const merged = await loadModel(memoryFolder(OUTPUT, files));
  const landed = whereLanded(await nodeLens(base, merged), await nodeLens(chat, merged));
  const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
  expect(shown).toEqual(landed.map((row) => [row.label, row.toA?.toFixed(4), row.toB?.toFixed(4)]));
  // A SLERP lands strictly between its parents.
  for (const row of landed) {
    expect(row.position).toBeGreaterThan(0);
    expect(row.position).toBeLessThan(1);
  }
  // The lens result goes into the model card draft of the publish panel.
  const [a, b] = [await panel.getByLabel('Model a').inputValue(), await panel.getByLabel('Model b').inputValue()];
  const card = page.getByTestId('publish-panel').getByLabel('Model card');
  await expect(card).toHaveValue(/### Lens summary\n\nWeight lens of `[^`]+` against `[^`]+`/);
  expect(await card.inputValue()).toContain(landedSummary(a, b, landed));
});
