/** Canvas gestures shared by the studio e2e tests. */
import type { Locator, Page } from '@playwright/test';

/** Drags a wire from a node's output handle to a target handle (`base` or `models` of a merge, `model` of a LoRA node). */
export async function dragWire(page: Page, from: Locator, to: Locator, handle: 'base' | 'models' | 'model') {
  const source = from.locator('.react-flow__handle.source');
  const target = to.locator(`.react-flow__handle[data-handleid="${handle}"]`);
  const a = await stableBox(source);
  const b = await stableBox(target);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 10 });
  await page.mouse.up();
}

/** The element's box once the canvas has stopped moving (fit-view animates after nodes are added). */
async function stableBox(locator: Locator) {
  let last = await locator.boundingBox();
  for (let i = 0; i < 40; i++) {
    await locator.page().waitForTimeout(100);
    const next = await locator.boundingBox();
    if (next !== null && last !== null && next.x === last.x && next.y === last.y && next.width === last.width) return next;
    last = next;
  }
  throw new Error('handle did not settle');
}

/** Adds a Hub model by pasting its id (or URL) into the models panel. */
export async function addByRepoId(page: Page, ref: string) {
  await page.getByLabel('Repo id or URL').fill(ref);
  await page.getByLabel('Repo id or URL').press('Enter');
}

/**
 * Scrolls the canvas (the wheel pans it) until `node` lies wholly inside it: the canvas fits at a readable zoom, so
 * part of a wide recipe lies beyond the pane's right edge.
 */
export function revealNode(page: Page, node: Locator) {
  return revealNodes(page, [node]);
}

/**
 * Brings all of `nodes` into the canvas at once, as a user would before dragging a wire between two far-apart nodes:
 * zooms out with the canvas's own control while they span more than the pane, then scrolls them into it.
 */
export async function revealNodes(page: Page, nodes: readonly Locator[]) {
  const pane = await page.getByTestId('canvas').boundingBox();
  if (pane === null) throw new Error('no canvas');
  const margin = 24;
  for (let i = 0; i < 30; i++) {
    const boxes = await Promise.all(nodes.map((node) => stableBox(node)));
    const left = Math.min(...boxes.map((box) => box.x));
    const right = Math.max(...boxes.map((box) => box.x + box.width));
    if (right - left > pane.width - 2 * margin) {
      await page.getByRole('button', { name: 'Zoom Out' }).click();
      continue;
    }
    const overRight = right - (pane.x + pane.width - margin);
    const overLeft = pane.x + margin - left;
    if (overRight <= 0 && overLeft <= 0) return;
    await page.mouse.move(pane.x + pane.width / 2, pane.y + 12);
    await page.mouse.wheel(overRight > 0 ? Math.min(200, overRight * 2) : -Math.min(200, overLeft * 2), 0);
  }
  throw new Error('the nodes did not come into view');
}
