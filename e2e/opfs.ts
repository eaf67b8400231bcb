/** Reading the page's origin private file system from a test. */
import type { Page } from '@playwright/test';

/** Every file of the OPFS folder `name`, read back in the page. */
export async function readOpfsFolder(page: Page, name: string): Promise<Map<string, Uint8Array>> {
  const files = await page.evaluate(async (folder) => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder);
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
  }, name);
  return new Map(Object.entries(files).map(([file, base64]) => [file, new Uint8Array(Buffer.from(base64, 'base64'))]));
}
