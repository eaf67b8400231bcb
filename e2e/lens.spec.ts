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
import { MemoryDirectorySink } from '../src/io/sink/memory-sink';
import { lensGrid } from '../src/methods/lens-grid';
import { GEOMETRY, heatmapColumns } from '../src/app/lens/lens-view';
import { screenshot } from './screens';

test.describe.configure({ timeout: 120_000 });

/** The demo's base against its sibling, lensed in Node the way the page does it (fast mode). */
async function expectedGrid() {
  const folders = new Map<string, MemoryDirectorySink>();
  await writeDemo(new MemoryDirectorySink(), (id) => {
    const dir = new MemoryDirectorySink(id);
    folders.set(id, dir);
    return Promise.resolve(dir);
  });
  const model = (id: string) => loadModel(memoryFolder(id, (folders.get(id) as MemoryDirectorySink).files));
  const [a, b] = await Promise.all([model('demo-llama-base'), model('demo-llama-chat')]);
  return lensGrid(await runLens(planLens(a, b, { mode: 'fast' }), a, b));
}

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
  expect(errors).toEqual([]);
});
