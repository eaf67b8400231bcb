import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { writeWholeFile } from './byte-sink';
import { MemoryDirectorySink } from './memory-sink';
import { NodeDirectorySink } from './node-directory-sink';
import { describeDirectorySink } from './sink-conformance.test-support';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'node-sink-'));
  roots.push(root);
  return root;
}

describeDirectorySink('MemoryDirectorySink', () => Promise.resolve(new MemoryDirectorySink()));
describeDirectorySink('NodeDirectorySink', async () => NodeDirectorySink.open(await freshDir()));

describe('NodeDirectorySink on disk', () => {
  it('writes into a hidden temporary file and renames it on close', async () => {
    const root = await freshDir();
    const dir = await NodeDirectorySink.open(join(root, 'out'), { create: true });
    const file = await dir.createFile('model.safetensors');
    await file.write(new Uint8Array(10));
    const during = await readdir(join(root, 'out'));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.model\.safetensors\.[0-9a-f]+\.partial$/);
    await file.close();
    expect(await readdir(join(root, 'out'))).toEqual(['model.safetensors']);
  });

  it('removes the hidden temporaries an interrupted run left, and nothing else', async () => {
    const root = await freshDir();
    const dir = await NodeDirectorySink.open(root);
    await writeFile(join(root, '.model.safetensors.1a2b3c4d.partial'), new Uint8Array(100));
    await writeFile(join(root, '.hidden-user-file'), 'keep');
    await writeWholeFile(dir, 'notes.txt', new Uint8Array(1));
    expect(await dir.removeTemporaries()).toEqual(['.model.safetensors.1a2b3c4d.partial']);
    expect((await readdir(root)).sort()).toEqual(['.hidden-user-file', 'notes.txt']);
  });

  it('explains a folder it cannot write to', async () => {
    await expect(NodeDirectorySink.open('/dev/null/out', { create: true })).rejects.toMatchObject({
      code: 'E_SINK_WRITE',
      hint: expect.stringMatching(/not a folder/),
    });
    await expect(NodeDirectorySink.open('/proc/merge-studio-nope')).rejects.toMatchObject({ code: 'E_SINK_WRITE' });
  });
});
