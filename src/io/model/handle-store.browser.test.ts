import { describe, expect, it } from 'vitest';

import { ensureReadPermission, filesOfHandle, forgetFolderHandle, loadFolderHandle, saveFolderHandle } from './handle-store';

/** A folder in the origin private file system with two files and a hidden one (a real directory handle). */
async function folderWithFiles(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(`handle-store-${Date.now()}`, { create: true });
  for (const [name, text] of [
    ['config.json', '{"architectures":["LlamaForCausalLM"]}'],
    ['model.safetensors', 'not really weights'],
    ['.DS_Store', 'hidden'],
  ] as const) {
    const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
    await writable.write(text);
    await writable.close();
  }
  return dir;
}

describe('remembered input folders (IndexedDB)', () => {
  it('a saved handle comes back from IndexedDB as the same folder, readable, and can be forgotten', async () => {
    const dir = await folderWithFiles();
    await saveFolderHandle('my-model', dir);
    const back = await loadFolderHandle('my-model');
    expect(back).toBeInstanceOf(FileSystemDirectoryHandle);
    if (back === undefined) throw new Error('not stored');
    expect(back).not.toBe(dir);
    expect(await back.isSameEntry(dir)).toBe(true);
    await ensureReadPermission(back, 'my-model');
    const files = await filesOfHandle(back);
    expect(files.map((f) => f.name).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(await files.find((f) => f.name === 'config.json')?.text()).toContain('LlamaForCausalLM');
    expect(await loadFolderHandle('another-model')).toBeUndefined();
    await forgetFolderHandle('my-model');
    expect(await loadFolderHandle('my-model')).toBeUndefined();
  });

  it('saving again under the same reference replaces the folder', async () => {
    const first = await folderWithFiles();
    const root = await navigator.storage.getDirectory();
    const second = await root.getDirectoryHandle(`handle-store-second-${Date.now()}`, { create: true });
    await saveFolderHandle('same-ref', first);
    await saveFolderHandle('same-ref', second);
    const back = await loadFolderHandle('same-ref');
    expect(back?.name).toBe(second.name);
    expect(await back?.isSameEntry(second)).toBe(true);
  });
});
