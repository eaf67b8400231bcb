import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { listFiles, listModels, modelInfo } from '@huggingface/hub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { writeFixtureToDir } from '../../../test/fixtures/node-fixtures';
import { fixtureById } from '../../../test/fixtures/standard';
import { standardRepos } from '../../../test/mock-hub/fixture-repos';
import type { MemoryRepo } from '../../../test/mock-hub/fixture-repos';
import { MOCK_TOKEN, startMockHub } from '../../../test/mock-hub/server';
import type { MockHub } from '../../../test/mock-hub/server';
import { AppError } from '../../shared/errors';
import { openHubFolder } from '../model/hub-folder';
import { loadModel } from '../model/load-model';
import { openNodeFolder } from '../model/node-folder';
import type { Model } from '../model/types';
import { hubSettings } from './hub-client';
import type { HubSettings } from './hub-client';
import { HubFileSource } from './hub-source';

const FAST_RETRY = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };

let repos: MemoryRepo[];
let hub: MockHub;
let settings: HubSettings;

beforeAll(async () => {
  repos = await standardRepos();
  hub = await startMockHub({ repos, cdn: true, pageSize: 4 });
  settings = hubSettings({ endpoint: hub.url, retry: FAST_RETRY });
});
afterAll(() => hub.close());
beforeEach(() => hub.reset());

const llama = () => repos.find((r) => r.id === 'tiny/llama-bf16')!;
const weights = () => llama().files.get('model.safetensors')!;

async function sha(repo = 'tiny/llama-bf16'): Promise<string> {
  return (await openHubFolder(repo, undefined, settings)).revision!;
}

/** A model description minus where it came from (`ref`, `revision`, `folder`). */
function withoutPlace(model: Model): Omit<Model, 'ref' | 'revision' | 'folder'> {
  const { ref: _ref, revision: _revision, folder: _folder, ...description } = model;
  return { ...description, files: description.files.map(({ path, size }) => ({ path, size })) };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

describe('HubFileSource', () => {
  it('reads exact byte ranges through the Hub and its CDN redirect', async () => {
    const source = new HubFileSource(settings, 'tiny/llama-bf16', await sha(), 'model.safetensors', weights().byteLength);
    for (const [offset, length] of [[0, 8], [1, 1], [1000, 4096], [weights().byteLength - 7, 7]] as const) {
      expect(Buffer.from(await source.read(offset, length)).equals(Buffer.from(weights().subarray(offset, offset + length)))).toBe(true);
    }
    const cdnReads = hub.requests.filter((r) => r.server === 'cdn');
    expect(cdnReads.map((r) => r.range)).toEqual(['bytes=0-7', 'bytes=1-1', 'bytes=1000-5095', `bytes=${weights().byteLength - 7}-${weights().byteLength - 1}`]);
  });

  it('resumes a connection dropped mid-tensor at the byte where it stopped', async () => {
    const source = new HubFileSource(settings, 'tiny/llama-bf16', await sha(), 'model.safetensors', weights().byteLength);
    hub.fail({ pathIncludes: '/cdn/tiny/llama-bf16/', times: 2, dropAfterBytes: 3000 });
    const bytes = await source.read(100, 20_000);
    expect(Buffer.from(bytes).equals(Buffer.from(weights().subarray(100, 20_100)))).toBe(true);
    const ranges = hub.requests.filter((r) => r.server === 'cdn').map((r) => r.range);
    expect(ranges).toEqual(['bytes=100-20099', 'bytes=3100-20099', 'bytes=6100-20099']);
  });

  it('retries server errors with backoff, then gives up with a network error', async () => {
    const source = new HubFileSource(settings, 'tiny/llama-bf16', await sha(), 'model.safetensors', weights().byteLength);
    hub.fail({ pathIncludes: '/resolve/', times: 2, status: 503 });
    expect((await source.read(0, 16)).byteLength).toBe(16);
    // The file is resolved by now: later reads go straight to the CDN URL it redirected to.
    hub.fail({ pathIncludes: 'model.safetensors', times: 10, status: 500 });
    const error = await rejection(source.read(0, 16));
    expect(error.code).toBe('E_NETWORK');
    expect(error.message).toMatch(/tiny\/llama-bf16\/model\.safetensors failed at byte 0 \(HTTP 500\)/);
    expect(hub.requests.filter((r) => r.status === 500)).toHaveLength(FAST_RETRY.retries + 1);
  });

  it('explains a gated repo without a token, and reads it with one', async () => {
    const revision = await sha('gated/llama-bf16');
    const anonymous = new HubFileSource(settings, 'gated/llama-bf16', revision, 'model.safetensors', weights().byteLength);
    const error = await rejection(anonymous.read(0, 8));
    expect(error.code).toBe('E_GATED_REPO');
    expect(error.hint).toMatch(/Accept the terms/);
    const withToken = new HubFileSource({ ...settings, token: MOCK_TOKEN }, 'gated/llama-bf16', revision, 'model.safetensors', weights().byteLength);
    expect((await withToken.read(0, 8)).byteLength).toBe(8);
  });

  it('sends the token to the Hub origin only, never to the CDN, and never puts it in a message', async () => {
    const tokenSettings = { ...settings, token: MOCK_TOKEN };
    const folder = await openHubFolder('gated/llama-bf16', undefined, tokenSettings);
    await (await folder.open('model.safetensors')).read(0, 8);
    const hubRequests = hub.requests.filter((r) => r.server === 'hub');
    const cdnRequests = hub.requests.filter((r) => r.server === 'cdn');
    expect(hubRequests.length).toBeGreaterThan(0);
    expect(hubRequests.every((r) => r.hasAuthorization)).toBe(true);
    expect(cdnRequests.length).toBe(1);
    expect(cdnRequests[0]?.hasAuthorization).toBe(false);
    const error = await rejection(openHubFolder('private/nope', undefined, { ...settings, token: 'hf_secret_that_must_not_leak' }));
    expect(JSON.stringify({ m: error.message, h: error.hint, c: error.context })).not.toContain('hf_secret_that_must_not_leak');
  });
});

describe('HubFileSource failures', () => {
  it('waits out 429 answers and reads on', async () => {
    const source = new HubFileSource(settings, 'tiny/llama-bf16', await sha(), 'model.safetensors', weights().byteLength);
    hub.fail({ pathIncludes: '/cdn/tiny/llama-bf16/', times: 2, status: 429 });
    expect([...(await source.read(8, 32))]).toEqual([...weights().subarray(8, 40)]);
    expect(hub.requests.filter((r) => r.server === 'cdn').map((r) => r.status)).toEqual([429, 429, 206]);
  });

  it('stops a slow transfer when the signal aborts', async () => {
    const source = new HubFileSource(settings, 'tiny/llama-bf16', await sha(), 'model.safetensors', weights().byteLength);
    hub.fail({ pathIncludes: '/cdn/tiny/llama-bf16/', times: 1, chunkDelayMs: 40, chunkBytes: 1024 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    await expect(source.read(0, 40_000, controller.signal)).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect(Date.now() - started).toBeLessThan(1000); // the whole body would take 40 pieces × 40 ms
  });

  it('says which of repo and file is missing, and that a private repo needs a token', async () => {
    const revision = await sha();
    const missingFile = new HubFileSource(settings, 'tiny/llama-bf16', revision, 'nope.safetensors', 10);
    expect(await rejection(missingFile.read(0, 8))).toMatchObject({
      code: 'E_HUB_NOT_FOUND',
      message: 'nope.safetensors of tiny/llama-bf16 does not exist.',
      context: { model: 'tiny/llama-bf16', file: 'nope.safetensors', status: 404 },
    });
    const privateRepo = new HubFileSource(settings, 'private/llama-bf16', revision, 'model.safetensors', weights().byteLength);
    expect(await rejection(privateRepo.read(0, 8))).toMatchObject({ code: 'E_HUB_UNAUTHORIZED', hint: /add a Hugging Face access token/ });
    const missingRepo = await rejection(openHubFolder('nobody/missing', undefined, { ...settings, token: MOCK_TOKEN }));
    expect(missingRepo).toMatchObject({ code: 'E_HUB_NOT_FOUND', message: 'The repository nobody/missing does not exist on the Hub.' });
  });

  it('keeps the token out of every message, hint and context', async () => {
    const secret = 'hf_secret_that_must_not_leak';
    const leaky = { ...settings, token: secret };
    const revision = await sha();
    const errors = [
      await rejection(openHubFolder('private/llama-bf16', undefined, leaky)),
      await rejection(openHubFolder('tiny/llama-bf16', 'no-such-branch', leaky)),
      await rejection(new HubFileSource(leaky, 'gated/llama-bf16', revision, 'model.safetensors', weights().byteLength).read(0, 8)),
      await rejection(new HubFileSource(leaky, 'tiny/llama-bf16', revision, 'missing.json', 4).read(0, 4)),
    ];
    hub.fail({ pathIncludes: '/resolve/', times: 10, status: 502 });
    errors.push(await rejection(new HubFileSource(leaky, 'tiny/llama-bf16', revision, 'config.json', 4).read(0, 4)));
    expect(errors.map((e) => e.code)).toEqual(['E_HUB_UNAUTHORIZED', 'E_HUB_NOT_FOUND', 'E_GATED_REPO', 'E_HUB_NOT_FOUND', 'E_NETWORK']);
    for (const error of errors) {
      expect(JSON.stringify([error.message, error.hint, error.context, String(error.cause)])).not.toContain(secret);
    }
  });

  it('reads the Hub error code even when the API client drops the headers (gated model info)', async () => {
    const gatedApi: typeof fetch = (input, init) =>
      String(input).includes('/api/models/')
        ? Promise.resolve(
            new Response(JSON.stringify({ error: 'Access to this model is restricted.' }), {
              status: 403,
              headers: { 'Content-Type': 'application/json', 'X-Error-Code': 'GatedRepo' },
            }),
          )
        : fetch(input, init);
    const error = await rejection(openHubFolder('gated/llama-bf16', undefined, { ...settings, fetch: gatedApi }));
    expect(error).toMatchObject({ code: 'E_GATED_REPO', context: { model: 'gated/llama-bf16', status: 403 } });
  });
});

describe('the mock Hub', () => {
  it('serves a repo from a directory at a pinned sha, with the Hub headers, 416 and CORS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mock-repo-'));
    try {
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'config.json'), '{"model_type":"llama"}');
      await writeFile(join(dir, 'sub', 'x.safetensors'), weights());
      const pinned = 'a'.repeat(40);
      await hub.addRepo({ id: 'disk/repo', files: dir, sha: pinned });
      const folder = await openHubFolder('disk/repo', undefined, settings);
      expect(folder.revision).toBe(pinned);
      expect(await folder.listFiles()).toEqual([
        { path: 'config.json', size: 22 },
        { path: 'sub/x.safetensors', size: weights().byteLength },
      ]);
      const config = await fetch(`${hub.url}/disk/repo/resolve/${pinned}/config.json`, { headers: { Range: 'bytes=2-11' } });
      expect(config.status).toBe(206);
      expect(await config.text()).toBe('model_type');
      expect(config.headers.get('Content-Range')).toBe('bytes 2-11/22');
      expect(config.headers.get('ETag')).toBe(`"${createHash('sha1').update('{"model_type":"llama"}').digest('hex')}"`);
      expect(config.headers.get('X-Repo-Commit')).toBe(pinned);
      const beyond = await fetch(`${hub.url}/disk/repo/resolve/main/config.json`, { headers: { Range: 'bytes=22-30' } });
      expect([beyond.status, beyond.headers.get('Content-Range')]).toEqual([416, 'bytes */22']);
      const head = await fetch(`${hub.url}/disk/repo/raw/main/sub/x.safetensors`, { method: 'HEAD' });
      expect(head.headers.get('ETag')).toBe(`"${createHash('sha256').update(weights()).digest('hex')}"`);
      expect(head.headers.get('X-Linked-Size')).toBe(String(weights().byteLength));
      const preflight = await fetch(`${hub.url}/disk/repo/resolve/main/config.json`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://app.test', 'Access-Control-Request-Headers': 'authorization,range' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('http://app.test');
      expect(preflight.headers.get('Access-Control-Allow-Headers')).toBe('authorization,range');
      expect(preflight.headers.get('Access-Control-Expose-Headers')).toMatch(/X-Error-Code/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('openHubFolder', () => {
  it('pins the revision to a commit sha and lists files', async () => {
    const folder = await openHubFolder('tiny/llama-bf16-sharded', undefined, settings);
    expect(folder.revision).toMatch(/^[0-9a-f]{40}$/);
    expect((await folder.listFiles()).map((f) => f.path)).toContain('model-00002-of-00003.safetensors');
    const reads = hub.requests.filter((r) => r.path.includes('/tree/'));
    expect(reads.every((r) => r.path.includes(folder.revision!))).toBe(true);
  });

  it('describes the same model as the same files in a local folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-vs-local-'));
    try {
      await writeFixtureToDir(dir, fixtureById('tiny/llama-bf16-sharded'));
      const remote = await loadModel(await openHubFolder('tiny/llama-bf16-sharded', 'main', settings));
      const local = await loadModel(await openNodeFolder(dir));
      expect(withoutPlace(remote)).toEqual(withoutPlace(local));
      expect([...remote.tensors.keys()]).toEqual([...local.tensors.keys()]);
      expect([remote.ref, remote.revision, remote.folder.kind]).toEqual(['tiny/llama-bf16-sharded', remote.folder.revision, 'hub']);
      await local.folder.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['private/llama-bf16', undefined, 'E_HUB_UNAUTHORIZED', /private and needs an access token/],
    ['nobody/missing', undefined, 'E_HUB_UNAUTHORIZED', /not found/],
    ['tiny/llama-bf16', 'no-such-branch', 'E_HUB_NOT_FOUND', /no revision no-such-branch/],
    ['not a repo id', undefined, 'E_HUB_NOT_FOUND', /not a Hub repository id/],
  ] as const)('explains %s@%s', async (repo, revision, code, message) => {
    const error = await rejection(openHubFolder(repo, revision, settings));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.context.model).toBe(repo);
  });

  it('reads a private repo with a token', async () => {
    const folder = await openHubFolder('private/llama-bf16', undefined, { ...settings, token: MOCK_TOKEN });
    expect((await loadModel(folder)).tensors.size).toBe(3 + 9 * 4);
  });

  it('reports a file missing from the repo', async () => {
    const folder = await openHubFolder('tiny/llama-bf16', undefined, settings);
    await expect(folder.open('nope.safetensors')).rejects.toMatchObject({ code: 'E_FILE_MISSING' });
  });
});

describe('the real @huggingface/hub client against the mock Hub', () => {
  it('searches with pagination, reads model info and lists files', async () => {
    const found: string[] = [];
    for await (const model of listModels({ search: { query: 'llama' }, hubUrl: hub.url, limit: 100 })) found.push(model.name);
    expect(found).toContain('tiny/llama-bf16-sharded');
    expect(found).not.toContain('private/llama-bf16');
    expect(found.length).toBeGreaterThan(4); // more than one page of 4
    expect(hub.requests.filter((r) => r.path === '/api/models').length).toBeGreaterThan(1);
    const info = await modelInfo({ name: 'tiny/mistral-f16', hubUrl: hub.url, additionalFields: ['sha', 'config', 'safetensors'] });
    expect(info.name).toBe('tiny/mistral-f16');
    expect(info.config).toMatchObject({ architectures: ['MistralForCausalLM'] });
    expect(info.safetensors?.parameters['F16']).toBeGreaterThan(0);
    const files: string[] = [];
    for await (const entry of listFiles({ repo: { type: 'model', name: 'tiny/mistral-f16' }, hubUrl: hub.url })) files.push(entry.path);
    expect(files).toContain('model.safetensors');
  });
});
