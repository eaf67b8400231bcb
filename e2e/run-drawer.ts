/** The run drawer under the canvas starts collapsed; tests that work in the run area start with it open. */
import type { Page } from '@playwright/test';

/** Opens the run drawer from the first page load on (a layout choice already stored is kept across reloads). */
export async function startWithRunDrawerOpen(page: Page): Promise<void> {
  await page.addInitScript(() => {
    if (localStorage.getItem('merge-studio:layout') === null) localStorage.setItem('merge-studio:layout', JSON.stringify({ run: true }));
  });
}
