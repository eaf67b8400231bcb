import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeFixtureTree } from '../../../test/fixtures/node-fixtures';
import { STANDARD_FIXTURES } from '../../../test/fixtures/standard';
import { standardRepos } from '../../../test/mock-hub/fixture-repos';
import { startMockHub } from '../../../test/mock-hub/server';
import type { MockHub } from '../../../test/mock-hub/server';
import type { DirectorySink } from '../sink/byte-sink';
import { MemoryDirectorySink } from '../sink/memory-sink';
import { NodeDirectorySink } from '../sink/node-directory-sink';
import type { ByteSource } from '../source/byte-source';
import { hubSettings } from '../source/hub-client';
import { copyModel } from './copy-model';
import { openHubFolder } from './hub-folder';
import { loadModel } from './load-model';
import { openNodeFolder } from './node-folder';
import type { ModelFolder } from './types';

let root: string;
let hub: MockHub;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'copy-model-'));
  await writeFixtureTree(join(root, 'in'));
  hub = await startMockHub({ repos: await standardRepos(), cdn: true });
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

/** Every file of a fixture folder on disk, by name. */
async function inputFiles(id: string): Promise<Map<string, Buffer>> {
  const dir = join(root, 'in', ...id.split('/'));
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir)) files.set(name, await readFile(join(dir, name)));
  return files;
}

async function outputFiles(sink: DirectorySink): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await sink.list()) files.set(name, Buffer.from((await sink.readFile(name))!));
  return files;
}

function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, bytes] of expected) expect(actual.get(name)?.equals(bytes), name).toBe(true);
}

let outCount = 0;
const sinks: Record<string, () => Promise<DirectorySink>> = {
  'a Node folder': () => NodeDirectorySink.open(join(root, 'out', String(++outCount)), { create: true }),
  memory: () => Promise.resolve(new MemoryDirectorySink()),
};
const sources: Record<string, (id: string) => Promise<ModelFolder>> = {
  'Node files': (id) => openNodeFolder(join(root, 'in', ...id.split('/'))),
  'the mock Hub over HTTP': (id) => openHubFolder(id, 'main', hubSettings({ endpoint: hub.url })),
};

describe('byte-exact round trips: every fixture, from every Node-side source, through every Node-side sink', () => {
  for (const [sourceName, openSource] of Object.entries(sources)) {
    for (const [sinkName, makeSink] of Object.entries(sinks)) {
      it.each(STANDARD_FIXTURES.map((f) => [f.id]))(`%s from ${sourceName} into ${sinkName}`, async (id) => {
        const folder = await openSource(id);
        const sink = await makeSink();
        await copyModel(await loadModel(folder), sink, { chunkBytes: 64 * 1024 });
        await folder.close();
        expectSameFiles(await outputFiles(sink), await inputFiles(id));
      });
    }
  }
});

describe('copyModel', () => {
  it('never reads more than one chunk at a time, and splits large tensors', async () => {
    const folder = await openNodeFolder(join(root, 'in', 'tiny', 'llama-bf16'));
    const reads: { path: string; length: number }[] = [];
    const counting: ModelFolder = {
      ...folder,
      open: async (path) => {
        const source = await folder.open(path);
        const wrapped: ByteSource = {
          name: source.name,
          size: source.size,
          read: (offset, length, signal) => {
            reads.push({ path, length });
            return source.read(offset, length, signal);
          },
        };
        return wrapped;
      },
    };
    const sink = new MemoryDirectorySink();
    const progress: number[] = [];
    const model = await loadModel(counting);
    reads.length = 0;
    await copyModel(model, sink, { chunkBytes: 4096, onProgress: (p) => progress.push(p.bytesDone) });
    const weightReads = reads.filter((r) => r.path === 'model.safetensors').map((r) => r.length);
    expect(Math.max(...weightReads)).toBe(4096);
    // The 32 kB embedding alone takes eight reads; the whole model is ~90 reads of at most 4 kB.
    expect(weightReads.length).toBeGreaterThan(80);
    expect(progress.at(-1)).toBe((await loadModel(folder)).headers.get('model.safetensors')!.tensors.reduce((s, t) => s + t.end - t.begin, 0));
    await folder.close();
  });

  it('leaves an unfinished folder marked when the source fails mid-copy', async () => {
    const folder = await openHubFolder('tiny/llama-bf16-sharded', 'main', hubSettings({ endpoint: hub.url, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
    const model = await loadModel(folder);
    hub.fail({ pathIncludes: 'model-00002-of-00003', times: 100, status: 500 });
    const sink = new MemoryDirectorySink();
    await expect(copyModel(model, sink)).rejects.toMatchObject({ code: 'E_NETWORK' });
    hub.reset();
    const files = await sink.list();
    expect(files).toContain('merge-studio-partial.json');
    expect(files).toContain('model-00001-of-00003.safetensors');
    expect(files).not.toContain('model-00002-of-00003.safetensors');
    expect(files).not.toContain('model.safetensors.index.json');
    expect(sink.pending.size).toBe(0);
  });
});
