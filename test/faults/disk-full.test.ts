/**
 * Fault matrix: the disk fills up mid-run. The Node sink's files are opened through a `node:fs/promises` whose writes
 * fail with ENOSPC once a byte budget is spent (what a full disk does); the run must stop with a typed error that
 * says so and names the file, leave an unfinished folder (marker, finished shards, no temporaries, no index), and
 * resume once space is free, byte-identical to a run that never failed.
 */
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it, vi } from 'vitest';

import { INDEX_FILE } from '../../src/io/safetensors/shard-index';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import { appError, fixtureTree, looksUnfinishedOrEmpty, mergeInto, sameFolders, slerp, snapshot, tempDir } from './support';

/** Bytes the disk still takes, or undefined for plenty. */
const disk = vi.hoisted(() => ({ left: undefined as number | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const open: typeof real.open = async (...args) => {
    const handle = await real.open(...args);
    if (args[1] !== 'wx') return handle;
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'write') {
          return (buffer: Uint8Array, offset = 0, length = buffer.byteLength - offset) => {
            if (disk.left !== undefined) {
              if (disk.left < length) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
              disk.left -= length;
            }
            return target.write(buffer, offset, length);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});

let recipe: string;
beforeAll(async () => {
  const models = await fixtureTree();
  recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`);
});

describe('faults: disk full', () => {
  it('stops with a typed error naming the file, keeps finished shards, and resumes byte-identical once space is free', async () => {
    const out = join(await tempDir(), 'out');
    disk.left = 160_000;
    let error;
    try {
      error = await appError(mergeInto(recipe, out, { shardBytes: 100_000 }));
    } finally {
      disk.left = undefined;
    }
    expect(error.code).toBe('E_SINK_WRITE');
    expect(error.message).toMatch(/^Writing model-0000\d-of-00004\.safetensors failed: ENOSPC/);
    expect(error.context.file).toMatch(/model-0000\d-of-00004\.safetensors$/);
    expect(error.hint).toMatch(/^The disk is full: free some space or choose another folder/);
    const left = [...(await snapshot(out)).keys()];
    expect(left).toContain(PARTIAL_MARKER);
    expect(left).not.toContain(INDEX_FILE);
    expect(left.filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(left.filter((n) => n.endsWith('.safetensors')).length).toBeGreaterThan(0);
    expect(await looksUnfinishedOrEmpty(out)).toBe(true);

    const events = await mergeInto(recipe, out, { shardBytes: 100_000 });
    expect(events.find((e) => e.type === 'start')).toMatchObject({ resumedShards: [expect.stringMatching(/^model-00001/)], restartReasons: [] });
    const fresh = join(await tempDir(), 'out');
    await mergeInto(recipe, fresh, { shardBytes: 100_000 });
    sameFolders(await snapshot(out), await snapshot(fresh));
  });

  it('stops before any shard when even the marker cannot be written', async () => {
    const out = join(await tempDir(), 'out');
    disk.left = 10;
    let error;
    try {
      error = await appError(mergeInto(recipe, out));
    } finally {
      disk.left = undefined;
    }
    expect(error).toMatchObject({ code: 'E_SINK_WRITE', hint: expect.stringMatching(/disk is full/) });
    expect(error.message).toMatch(/merge-studio-partial\.json/);
    expect(await looksUnfinishedOrEmpty(out)).toBe(true);
    expect([...(await snapshot(out)).keys()]).toEqual([]);
  });
});
