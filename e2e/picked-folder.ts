/**
 * The output folder in end-to-end runs: headless Chromium cannot answer a directory picker, so the page's picker
 * answers with a folder of the origin private file system (the same File System Access code path), read back here.
 */
import type { Page } from '@playwright/test';

import { readOpfsFolder } from './opfs';

export const PICKED = 'picked-output';

/** The page's answer to the next input folder pick (the output picker always answers with {@link PICKED}). */
export interface PickerWindow {
  showDirectoryPicker: (options?: { id?: string }) => Promise<FileSystemDirectoryHandle>;
  nextInputFolder?: string;
}

/** Makes every directory picker of the page answer with an OPFS folder: `output` (default {@link PICKED}) for the output. */
export async function answerPickersWithOpfs(page: Page, output: string = PICKED): Promise<void> {
  await page.addInitScript((name) => {
    const w = window as unknown as PickerWindow;
    w.showDirectoryPicker = async (options) =>
      (await navigator.storage.getDirectory()).getDirectoryHandle(options?.id === 'merge-output' ? name : (w.nextInputFolder ?? name), { create: true });
  }, output);
}

/** Every file of the picked OPFS folder, read back in the page. */
export function readPicked(page: Page): Promise<Map<string, Uint8Array>> {
  return readOpfsFolder(page, PICKED);
}

/** The notice titled exactly `title`. */
export function notice(page: Page, title: string) {
  return page.locator('.notice', { has: page.locator('strong', { hasText: new RegExp(`^${title}$`) }) });
}
