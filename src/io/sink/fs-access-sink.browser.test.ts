import { describe, expect, it } from 'vitest';

import { FsAccessDirectorySink } from './fs-access-sink';
import { describeDirectorySink } from './sink-conformance.test-support';

let counter = 0;
async function freshOpfsDir(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  counter += 1;
  const name = `sink-test-${Date.now()}-${counter}`;
  return root.getDirectoryHandle(name, { create: true });
}

describeDirectorySink('FsAccessDirectorySink (OPFS)', async () => new FsAccessDirectorySink(await freshOpfsDir()));

describe('FsAccessDirectorySink', () => {
  it('streams a large file in chunks and reads back the same bytes', async () => {
    const sink = new FsAccessDirectorySink(await freshOpfsDir());
    const file = await sink.createFile('big.bin');
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < 8; i++) {
      chunk.fill(i);
      await file.write(chunk);
    }
    await file.close();
    const back = (await sink.readFile('big.bin'))!;
    expect(back.byteLength).toBe(8 << 20);
    for (let i = 0; i < 8; i++) expect(back[i << 20]).toBe(i);
  });

  it('keeps unfinished files out of the listing while they are written', async () => {
    const handle = await freshOpfsDir();
    const sink = new FsAccessDirectorySink(handle);
    const file = await sink.createFile('model.safetensors');
    await file.write(new Uint8Array(4));
    const raw: string[] = [];
    for await (const name of handle.keys()) raw.push(name);
    expect(raw.some((n) => n.endsWith('.partial'))).toBe(true);
    expect(await sink.list()).toEqual([]);
    await file.close();
    const after: string[] = [];
    for await (const name of handle.keys()) after.push(name);
    expect(after).toEqual(['model.safetensors']);
  });

  it('writes views of shared memory (the CPU pool\'s buffers in an isolated page), which the stream itself refuses', async () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    const shared = new Uint8Array(new SharedArrayBuffer((17 << 20) + 100));
    for (let i = 0; i < shared.length; i += 4096) shared[i] = (i >> 12) % 251;
    const sink = new FsAccessDirectorySink(await freshOpfsDir());
    const file = await sink.createFile('shared.bin');
    await file.write(shared.subarray(100));
    await file.close();
    const back = (await sink.readFile('shared.bin'))!;
    expect(back.byteLength).toBe(17 << 20);
    let mismatches = 0;
    for (let i = 0; i < back.length; i++) if (back[i] !== shared[i + 100]) mismatches += 1;
    expect(mismatches).toBe(0);
  });
});
