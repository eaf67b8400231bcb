/** Screenshots of the studio's main states, each taken only after checking that nothing in view spills out of its box. */
import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';

const SHOTS = 'test-results/screenshots';

/**
 * Panels, canvas nodes and notices whose content is wider than they are: text running past a border or under the next
 * column. Text that is cut with an ellipsis on purpose clips inside its own box and does not count.
 */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('.app-header, .panel-section, .run-area, .run-bar, .notice, .node, .model-item, .hit, .error-note')) {
      if (el.scrollWidth > el.clientWidth + 1) {
        out.push(`${el.className.split(' ')[0] ?? el.tagName} “${(el.textContent ?? '').trim().slice(0, 40)}…” is ${el.scrollWidth}px wide in ${el.clientWidth}px`);
      }
    }
    return out;
  });
}

/** Checks the layout, then saves a screenshot of the viewport as `name`.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  expect(await overflowing(page)).toEqual([]);
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** The canvas's share of the window, 0…1: its visible box over the viewport's area. */
export function canvasShare(page: Page): Promise<number> {
  return page.evaluate(() => {
    const box = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    if (box === undefined) return 0;
    const width = Math.max(0, Math.min(box.right, window.innerWidth) - Math.max(box.left, 0));
    const height = Math.max(0, Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0));
    return (width * height) / (window.innerWidth * window.innerHeight);
  });
}

/** The smallest font size, in screen pixels, of any text on a canvas node (its CSS size times the canvas zoom). */
export function smallestNodeText(page: Page): Promise<number> {
  return page.evaluate(() => {
    const viewport = document.querySelector<HTMLElement>('.react-flow__viewport');
    const zoom = viewport === null ? 1 : new DOMMatrix(getComputedStyle(viewport).transform).a;
    let smallest = Infinity;
    for (const el of document.querySelectorAll<HTMLElement>('.react-flow__node *')) {
      const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
      if (!hasText || el.getClientRects().length === 0) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize) * zoom);
    }
    return smallest;
  });
}

/**
 * The workspace checks of the studio layout, then a screenshot: nothing overflows, the canvas has at least 40 % of the
 * window and every node's text is at least 11 px on screen.
 */
export async function workspaceShot(page: Page, name: string): Promise<{ share: number; textPx: number }> {
  await page.waitForTimeout(300); // the fit animation (150 ms) settles
  const share = await canvasShare(page);
  const textPx = await smallestNodeText(page);
  expect(share, `${name}: the canvas's share of the window`).toBeGreaterThanOrEqual(0.4);
  expect(textPx, `${name}: the smallest node text on screen`).toBeGreaterThanOrEqual(11);
  await screenshot(page, name);
  return { share, textPx };
}
