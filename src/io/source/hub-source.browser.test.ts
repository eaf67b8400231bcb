import { describe, expect, inject, it } from 'vitest';

import { fixtureById, writeFixture } from '../../../test/fixtures/standard';
import type { AppError } from '../../shared/errors';
import { openHubFolder } from '../model/hub-folder';
import { loadModel } from '../model/load-model';
import { MemoryDirectorySink } from '../sink/memory-sink';
import { hubSettings } from './hub-client';
import { HubFileSource } from './hub-source';

/** The fixture's bytes, generated in the page: the mock Hub serves the same deterministic files. */
async function fixtureFiles(id: string): Promise<Map<string, Uint8Array>> {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, fixtureById(id));
  return dir.files;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as AppError,
  );
}

describe('the Hub from a page on another origin (real Chromium, CORS)', () => {
  const anonymous = () => hubSettings({ endpoint: inject('hubUrl') });
  const withToken = () => hubSettings({ endpoint: inject('hubUrl'), token: inject('hubToken') });

  it('HubFileSource reads exact ranges through the CDN redirect, with and without a token', async () => {
    const weights = (await fixtureFiles('tiny/mistral-f16')).get('model.safetensors')!;
    const folder = await openHubFolder('tiny/mistral-f16', undefined, anonymous());
    for (const settings of [anonymous(), withToken()]) {
      const source = new HubFileSource(settings, 'tiny/mistral-f16', folder.revision!, 'model.safetensors', weights.byteLength);
      for (const [offset, length] of [[0, 8], [3, 1], [777, 5000], [weights.byteLength - 9, 9]] as const) {
        expect([...(await source.read(offset, length))]).toEqual([...weights.subarray(offset, offset + length)]);
      }
    }
  });

  it('reads the Hub error codes across origins: missing file, private repo, gated repo', async () => {
    const folder = await openHubFolder('tiny/llama-bf16', undefined, anonymous());
    const missing = new HubFileSource(anonymous(), 'tiny/llama-bf16', folder.revision!, 'nope.json', 4);
    expect(await rejection(missing.read(0, 4))).toMatchObject({ code: 'E_HUB_NOT_FOUND', message: 'nope.json of tiny/llama-bf16 does not exist.' });
    expect(await rejection(openHubFolder('private/llama-bf16', undefined, anonymous()))).toMatchObject({
      code: 'E_HUB_UNAUTHORIZED',
      context: { model: 'private/llama-bf16', status: 401 },
    });
    expect(await rejection(openHubFolder('tiny/llama-bf16', 'v9', anonymous()))).toMatchObject({ code: 'E_HUB_NOT_FOUND', message: 'tiny/llama-bf16 has no revision v9.' });
    const gated = await openHubFolder('gated/llama-bf16', undefined, anonymous());
    expect(await rejection(loadModel(gated))).toMatchObject({ code: 'E_GATED_REPO', context: { model: 'gated/llama-bf16' }, hint: /Accept the terms/ });
  });

  it('openHubFolder + loadModel describe a private repo read with a token like the same files in memory', async () => {
    const remote = await loadModel(await openHubFolder('private/llama-bf16', undefined, withToken()));
    const files = await fixtureFiles('tiny/llama-bf16');
    expect(remote.files).toEqual([...files].map(([path, bytes]) => ({ path, size: bytes.byteLength })).sort((a, b) => (a.path < b.path ? -1 : 1)));
    expect(remote.config).toEqual(JSON.parse(new TextDecoder().decode(files.get('config.json'))));
    const norm = remote.tensors.get('model.norm.weight')!;
    const bytes = await (await remote.folder.open(norm.file)).read(norm.offset, norm.length);
    expect([...bytes]).toEqual([...files.get(norm.file)!.subarray(norm.offset, norm.offset + norm.length)]);
  });
});
