/**
 * A GGUF run from the Hub downloads each tokenizer file once: the GGUF planner reads config.json, tokenizer.json and
 * tokenizer_config.json to plan the export, and the run writes those bytes into the output instead of fetching them
 * again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openHubFolder } from '../../src/io/model/hub-folder';
import { hubSettings } from '../../src/io/source/hub-client';
import { MemoryDirectorySink } from '../../src/io/sink/memory-sink';
import type { Fixture } from '../fixtures/standard';
import { TINY_LLAMA, writeFixture } from '../fixtures/standard';
import { startMockHub } from '../mock-hub/server';
import type { MockHub, MockRepo } from '../mock-hub/server';
import { mergeInto, slerp, tempDir } from './support';

const GGUF_LLAMA = { ...TINY_LLAMA, vocab: 320, tokenizer: 'llama2' } as const;
const FIXTURES: readonly Fixture[] = [
  { id: 'tiny/llama-bf16', kind: 'model', spec: GGUF_LLAMA },
  { id: 'tiny/llama-bf16-ft', kind: 'model', spec: { ...GGUF_LLAMA, derivedFrom: { seed: 2, scale: 0.25 } } },
];

let hub: MockHub;
const repoFiles = new Map<string, ReadonlyMap<string, Uint8Array>>();

beforeAll(async () => {
  const repos: MockRepo[] = [];
  for (const fixture of FIXTURES) {
    const dir = new MemoryDirectorySink();
    await writeFixture(dir, fixture);
    repoFiles.set(fixture.id, dir.files);
    repos.push({ id: fixture.id, files: dir.files });
  }
  hub = await startMockHub({ repos, cdn: true });
});
afterAll(async () => {
  await hub.close();
});

describe('GGUF runs from the Hub', () => {
  it.each([
    ['GGUF only', true],
    ['safetensors and GGUF', false],
  ])('%s: downloads each tokenizer file once and writes it unchanged', async (_what, only) => {
    hub.reset();
    const settings = hubSettings({ endpoint: hub.url, retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } });
    const out = join(await tempDir(), 'out');
    await mergeInto(slerp('tiny/llama-bf16', 'tiny/llama-bf16-ft'), out, {
      resolve: (path, revision) => openHubFolder(path, revision, settings),
      gguf: { type: 'f16', only },
    });
    const fetched = (file: string) => hub.requests.filter((r) => r.path.startsWith('/tiny/llama-bf16/resolve/') && r.path.endsWith(`/${file}`));
    expect(fetched('tokenizer.json')).toHaveLength(1);
    expect(fetched('tokenizer_config.json')).toHaveLength(1);
    const base = repoFiles.get('tiny/llama-bf16')!;
    expect(new Uint8Array(await readFile(join(out, 'tokenizer.json')))).toEqual(base.get('tokenizer.json'));
    expect(new Uint8Array(await readFile(join(out, 'tokenizer_config.json')))).toEqual(base.get('tokenizer_config.json'));
  });
});
