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
    for (const el of document.querySelectorAll<HTMLElement>('.app-header, .panel-section, .run-area, .notice, .node')) {
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
