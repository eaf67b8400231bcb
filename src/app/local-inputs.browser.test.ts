import { describe, expect, it } from 'vitest';

import { saveFolderHandle } from '../io/model/handle-store';
import { AppError } from '../shared/errors';
import { reopenLocalInputs, sourcesOf } from './local-inputs';

async function opfsFolder(name: string, files: Record<string, string>): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(name, { create: true });
  for (const [file, text] of Object.entries(files)) {
    const writable = await (await dir.getFileHandle(file, { create: true })).createWritable();
    await writable.write(text);
    await writable.close();
  }
  return dir;
}

describe('reopening a resumed run\'s local inputs', () => {
  it('reads a remembered folder from IndexedDB, takes a folder picked again as it is, and names one it cannot reopen', async () => {
    const stamp = Date.now();
    const remembered = `remembered-${stamp}`;
    await saveFolderHandle(remembered, await opfsFolder(remembered, { 'config.json': '{"a":1}', 'model.safetensors': 'w' }));
    const again = new File(['{}'], 'config.json');
    const folders = await reopenLocalInputs([remembered, 'picked-again'], { 'picked-again': { files: [again] } });
    expect(folders.map((f) => [f.ref, f.files.map((file) => file.name).sort()])).toEqual([
      [remembered, ['config.json', 'model.safetensors']],
      ['picked-again', ['config.json']],
    ]);
    expect(sourcesOf(folders)[remembered]).toMatchObject({ kind: 'files', name: remembered });

    const missing = `never-stored-${stamp}`;
    const error = await reopenLocalInputs([missing], {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain(`“${missing}”`);
    expect((error as AppError).hint).toContain(`Pick the folder “${missing}” again`);
    expect((error as AppError).context.model).toBe(missing);
  });
});
