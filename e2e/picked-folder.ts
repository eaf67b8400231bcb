/**
 * The output folder in end-to-end runs: headless Chromium cannot answer a directory picker, so the page's picker
 * answers with a folder of the origin private file system (the same File System Access code path), read back here.
 */
import type { Page } from '@playwright/test';

export const PICKED = 'picked-output';

/** The page's answer to the next input folder pick (the output picker always answers with {@link PICKED}). */
export interface PickerWindow {
  showDirectoryPicker: (options?: { id?: string }) => Promise<FileSystemDirectoryHandle>;
  nextInputFolder?: string;
}

/** Makes every directory picker of the page answer with an OPFS folder: {@link PICKED} for the output. */
export async function answerPickersWithOpfs(page: Page): Promise<void> {
  await page.addInitScript((name) => {
    const w = window as unknown as PickerWindow;
    w.showDirectoryPicker = async (options) =>
      (await navigator.storage.getDirectory()).getDirectoryHandle(options?.id === 'merge-output' ? name : (w.nextInputFolder ?? name), { create: true });
  }, PICKED);
}

/** Every file of the picked OPFS folder, read back in the page. */
export async function readPicked(page: Page): Promise<Map<string, Uint8Array>> {
  const files = await page.evaluate(async (name) => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(name);
    const out: Record<string, string> = {};
    for await (const [file, handle] of dir.entries()) {
      if (handle.kind !== 'file') continue;
      const blob = await (handle as FileSystemFileHandle).getFile();
      const url = await new Promise<string>((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result as string);
        reader.readAsDataURL(blob);
      });
      out[file] = url.slice(url.indexOf(',') + 1);
    }
    return out;
  }, PICKED);
  return new Map(Object.entries(files).map(([name, base64]) => [name, new Uint8Array(Buffer.from(base64, 'base64'))]));
}

/** The notice titled exactly `title`. */
export function notice(page: Page, title: string) {
  return page.locator('.notice', { has: page.locator('strong', { hasText: new RegExp(`^${title}$`) }) });
}
