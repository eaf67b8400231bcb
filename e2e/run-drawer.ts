/** The run drawer under the canvas starts collapsed; tests that work in the run area start with it open. */
import type { Page } from '@playwright/test';

/** Opens the run drawer from the first page load on (a layout choice already stored is kept across reloads). */
export async function startWithRunDrawerOpen(page: Page): Promise<void> {
  await page.addInitScript(() => {
    if (localStorage.getItem('merge-studio:layout') === null) localStorage.setItem('merge-studio:layout', JSON.stringify({ run: true }));
  });
}

/**
 * Clicks Cancel in the page itself the moment `share` of the run's shards (at least one) are written: the demo and the
 * test models merge in about a second, faster than a click polled from the test, which would often find the run over.
 * With `reload`, the page reloads at that moment instead (the tab goes away mid-run, no cancel). Call it before
 * starting the run.
 */
export async function cancelOnceShardsWritten(page: Page, share: number, action: 'cancel' | 'reload' = 'cancel'): Promise<void> {
  await page.evaluate(
    ([part, act]) => {
      const observer = new MutationObserver(() => {
        const shards = document.querySelectorAll('.shard').length;
        const written = document.querySelectorAll('.shard-written').length;
        if (shards === 0 || written < Math.max(1, Math.ceil(shards * part)) || written === shards) return;
        const cancel = [...document.querySelectorAll('button')].find((button) => button.textContent === 'Cancel');
        if (cancel === undefined) return;
        observer.disconnect();
        if (act === 'reload') location.reload();
        else cancel.click();
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    },
    [share, action] as const,
  );
}
