import { describe, expect, inject, it } from 'vitest';

import { STANDARD_FIXTURES, fixtureById, writeFixture } from '../../../test/fixtures/standard';
import { FsAccessDirectorySink } from '../sink/fs-access-sink';
import { MemoryDirectorySink } from '../sink/memory-sink';
import { BlobSource } from '../source/blob-source';
import { hubSettings } from '../source/hub-client';
import { folderFromFiles, folderFromHandle } from './browser-folder';
import { copyModel } from './copy-model';
import { openHubFolder } from './hub-folder';
import { loadModel } from './load-model';

/** The fixture's files, generated here in the page (the generator is plain TypeScript). */
async function fixtureFiles(id: string): Promise<Map<string, Uint8Array>> {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, fixtureById(id));
  return dir.files;
}

let counter = 0;
async function opfsSink(): Promise<{ sink: FsAccessDirectorySink; handle: FileSystemDirectoryHandle }> {
  const root = await navigator.storage.getDirectory();
  const handle = await root.getDirectoryHandle(`round-trip-${Date.now()}-${++counter}`, { create: true });
  return { sink: new FsAccessDirectorySink(handle), handle };
}

async function expectFolderEquals(sink: FsAccessDirectorySink, expected: Map<string, Uint8Array>): Promise<void> {
  expect(await sink.list()).toEqual([...expected.keys()].sort());
  for (const [name, bytes] of expected) {
    const actual = await sink.readFile(name);
    expect(actual?.byteLength, name).toBe(bytes.byteLength);
    expect(actual?.every((b, i) => b === bytes[i]), name).toBe(true);
  }
}

describe('browser round trips (real Chromium)', () => {
  it.each(STANDARD_FIXTURES.map((f) => [f.id]))('%s: browser Files → OPFS folder, byte-exact', async (id) => {
    const files = await fixtureFiles(id);
    const picked = [...files].map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name));
    const { sink } = await opfsSink();
    await copyModel(await loadModel(folderFromFiles(picked, id)), sink, { chunkBytes: 32 * 1024 });
    await expectFolderEquals(sink, files);
  });

  it.each([['tiny/llama-bf16-sharded'], ['tiny/mistral-f16'], ['tiny/edge-dtypes']])(
    '%s: the mock Hub (another origin, CDN redirect) → OPFS folder, byte-exact',
    async (id) => {
      const settings = hubSettings({ endpoint: inject('hubUrl') });
      const { sink } = await opfsSink();
      await copyModel(await loadModel(await openHubFolder(id, undefined, settings)), sink, { chunkBytes: 32 * 1024 });
      await expectFolderEquals(sink, await fixtureFiles(id));
    },
  );

  it('reads a folder back from a directory handle', async () => {
    const { sink, handle } = await opfsSink();
    const files = await fixtureFiles('tiny/llama-bf16');
    await copyModel(await loadModel(folderFromFiles([...files].map(([n, b]) => new File([b as Uint8Array<ArrayBuffer>], n)))), sink);
    const again = await loadModel(await folderFromHandle(handle));
    expect(again.tensors.size).toBe(3 + 9 * 4);
    expect(again.ref).toBe(handle.name);
  });

  it('explains a gated repo without a token, and reads it with one', async () => {
    const anonymous = hubSettings({ endpoint: inject('hubUrl') });
    const folder = await openHubFolder('gated/llama-bf16', undefined, anonymous);
    await expect(loadModel(folder)).rejects.toMatchObject({ code: 'E_GATED_REPO', context: { model: 'gated/llama-bf16' } });
    const withToken = hubSettings({ endpoint: inject('hubUrl'), token: inject('hubToken') });
    expect((await loadModel(await openHubFolder('gated/llama-bf16', undefined, withToken))).tensors.size).toBe(3 + 9 * 4);
  });

  it('explains a corrupt local file', async () => {
    const files = await fixtureFiles('tiny/llama-bf16');
    const weights = files.get('model.safetensors')!;
    const broken = new Uint8Array(weights);
    broken.set(new TextEncoder().encode('{"oops": ,'), 8); // the JSON breaks right after its first brace
    const picked = [...files].map(([n, b]) => new File([(n === 'model.safetensors' ? broken : b) as Uint8Array<ArrayBuffer>], n));
    await expect(loadModel(folderFromFiles(picked, 'my-model'))).rejects.toMatchObject({
      code: 'E_HEADER_NOT_JSON',
      context: { model: 'my-model', file: 'model.safetensors' },
    });
  });

  it('strips the picked folder name from webkitdirectory paths', async () => {
    const source = new BlobSource('x', new Blob([new Uint8Array([1, 2, 3, 4])]));
    expect([...(await source.read(1, 2))]).toEqual([2, 3]);
    const file = new File([new Uint8Array(3)], 'config.json');
    Object.defineProperty(file, 'webkitRelativePath', { value: 'MyModel/config.json' });
    const nested = new File([new Uint8Array(2)], 'a.json');
    Object.defineProperty(nested, 'webkitRelativePath', { value: 'MyModel/sub/a.json' });
    const folder = folderFromFiles([file, nested]);
    expect(folder.ref).toBe('MyModel');
    expect((await folder.listFiles()).map((f) => f.path)).toEqual(['config.json', 'sub/a.json']);
  });
});
