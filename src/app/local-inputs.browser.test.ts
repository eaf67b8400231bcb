import { describe, expect, it } from 'vitest';

import { saveFolderHandle } from '../io/model/handle-store';
import { AppError } from '../shared/errors';
import { reopenLocalInputs } from './local-inputs';

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
  it('reads a remembered folder from IndexedDB, and names every folder it cannot reopen', async () => {
    const stamp = Date.now();
    const remembered = `remembered-${stamp}`;
    await saveFolderHandle(remembered, await opfsFolder(remembered, { 'config.json': '{"a":1}', 'model.safetensors': 'w' }));
    const folders = await reopenLocalInputs([remembered]);
    expect(folders.map((f) => [f.ref, f.files.map((file) => file.name).sort()])).toEqual([[remembered, ['config.json', 'model.safetensors']]]);

    const missing = `never-stored-${stamp}`;
    const error = await reopenLocalInputs([remembered, missing, 'also-missing']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain(`folders “${missing}”, “also-missing”`);
    expect((error as AppError).message).not.toContain(remembered);
    expect((error as AppError).hint).toContain('Add them again under Local folder');
  });
});
