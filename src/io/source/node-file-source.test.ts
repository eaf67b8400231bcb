import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NodeFileSource } from './node-file-source';

/** 1000 bytes that differ from their neighbours, so an off-by-one read shows. */
const BYTES = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) % 251);

describe('NodeFileSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'node-file-source-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads exactly the requested ranges, into a caller buffer when given one', async () => {
    const path = join(dir, 'a.bin');
    await writeFile(path, BYTES);
    const source = await NodeFileSource.open(path, 'a.bin');
    expect(source.size).toBe(BYTES.byteLength);
    for (const [offset, length] of [[0, 8], [1, 1], [500, 499], [999, 1], [0, 1000], [10, 0]] as const) {
      expect([...(await source.read(offset, length))]).toEqual([...BYTES.subarray(offset, offset + length)]);
    }
    const into = new Uint8Array(64);
    const view = await source.read(100, 16, undefined, into);
    expect(view.buffer).toBe(into.buffer);
    expect([...view]).toEqual([...BYTES.subarray(100, 116)]);
    await source.close();
  });

  it('rejects a read past the end with E_SHORT_READ naming the file', async () => {
    const path = join(dir, 'b.bin');
    await writeFile(path, BYTES);
    const source = await NodeFileSource.open(path, 'b.bin');
    await expect(source.read(990, 20)).rejects.toMatchObject({ code: 'E_SHORT_READ', context: { file: 'b.bin', offset: 990 } });
    await source.close();
  });

  it('notices a file that shrank after it was opened', async () => {
    const path = join(dir, 'c.bin');
    await writeFile(path, BYTES);
    const source = await NodeFileSource.open(path);
    await truncate(path, 100);
    await expect(source.read(50, 200)).rejects.toMatchObject({ code: 'E_FILE_CHANGED', context: { file: path } });
    await source.close();
  });

  it('explains a missing file and a cancelled read', async () => {
    await expect(NodeFileSource.open(join(dir, 'missing.bin'), 'missing.bin')).rejects.toMatchObject({
      code: 'E_FILE_MISSING',
      context: { file: 'missing.bin' },
    });
    const path = join(dir, 'd.bin');
    await writeFile(path, BYTES);
    const source = await NodeFileSource.open(path);
    await expect(source.read(0, 8, AbortSignal.abort())).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await source.close();
  });
});
