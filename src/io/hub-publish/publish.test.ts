import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { downloadFile, listFiles } from '@huggingface/hub';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { writeFixtureToDir } from '../../../test/fixtures/node-fixtures';
import { fixtureById } from '../../../test/fixtures/standard';
import { MOCK_TOKEN, startMockHub } from '../../../test/mock-hub/server';
import type { MockHub } from '../../../test/mock-hub/server';
import { isAppError } from '../../shared/errors';
import { PARTIAL_MARKER } from '../safetensors/writer';
import { hubSettings } from '../source/hub-client';
import { nodeOutputFiles } from './node-output-files';
import type { PublishProgress } from './progress';
import { hubIdentity, publishFolder } from './publish';

let hub: MockHub;
let out: string;
const CHUNK = 64 * 1024;

beforeAll(async () => {
  hub = await startMockHub({ repos: [], cdn: true, multipartChunkBytes: CHUNK });
  out = await mkdtemp(join(tmpdir(), 'publish-'));
  // A real sharded model folder (three ~150 kB shards, index, config, tokenizer) plus a card, as a merge writes it.
  await writeFixtureToDir(out, fixtureById('tiny/llama-bf16-sharded'));
  await writeFile(join(out, 'README.md'), '---\nlibrary_name: transformers\n---\n# demo\n');
});
afterAll(async () => {
  await hub.close();
  await rm(out, { recursive: true, force: true });
});
beforeEach(() => hub.reset());

const settings = (token = MOCK_TOKEN) => hubSettings({ endpoint: hub.url, token });
const putsTo = (file: string) => hub.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/lfs-storage/') && r.status === 200).filter((r) => r.path.includes(file));
const lfsPuts = () => hub.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/lfs-storage/'));

async function oidOf(path: string): Promise<string> {
  const bytes = await readFile(join(out, path));
  return Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

/** Every file of `repo` downloaded back through the read side (resolve → CDN redirect) with the real client. */
async function downloadAll(repo: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of listFiles({ repo, hubUrl: hub.url, accessToken: MOCK_TOKEN })) {
    const blob = await downloadFile({ repo, path: entry.path, hubUrl: hub.url, accessToken: MOCK_TOKEN });
    files.set(entry.path, new Uint8Array(await blob!.arrayBuffer()));
  }
  return files;
}

async function expectIdentical(repo: string): Promise<void> {
  const local = (await readdir(out)).sort();
  const remote = await downloadAll(repo);
  expect([...remote.keys()].sort()).toEqual(local);
  for (const name of local) expect(Buffer.compare(Buffer.from(remote.get(name)!), await readFile(join(out, name))), name).toBe(0);
}

describe('publishFolder against the mock Hub with the real @huggingface/hub client', () => {
  it('creates a private repo, uploads shards multipart and small files inline, and the files read back byte-identical', async () => {
    const events: PublishProgress[] = [];
    const result = await publishFolder({ repo: 'mock-user/demo-merge', files: await nodeOutputFiles(out), hub: settings(), onProgress: (p) => events.push(p) });
    expect(result.created).toBe(true);
    expect(result.commitOid).toMatch(/^[0-9a-f]{40}$/);
    expect(result.alreadyStored).toEqual([]);
    await expectIdentical('mock-user/demo-merge');
    // Private: without a token the repo is invisible.
    const anonymous = await fetch(`${hub.url}/api/models/mock-user/demo-merge`);
    expect(anonymous.status).toBe(401);
    // Each ~150 kB shard went as ceil(size / 64 KiB) parts; the token never went to the storage origin.
    const shards = (await readdir(out)).filter((n) => n.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThan(1);
    for (const shard of shards) {
      const size = (await readFile(join(out, shard))).byteLength;
      const oid = await oidOf(shard);
      expect(putsTo(oid).length).toBe(Math.ceil(size / CHUNK));
    }
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => !r.hasAuthorization)).toBe(true);
    expect(hub.requests.filter((r) => r.path.includes('preupload') || r.path.includes('/commit/')).every((r) => r.hasAuthorization)).toBe(true);
    // Progress: per file and in total, ending with every byte accounted for.
    const last = events.at(-1)!;
    expect(last.phase).toBe('done');
    expect(last.bytesDone).toBe(last.bytesTotal);
    expect(last.files.find((f) => f.path === 'config.json')?.state).toBe('inline');
    expect(last.files.filter((f) => f.path.endsWith('.safetensors')).every((f) => f.state === 'uploaded')).toBe(true);
    expect(events.some((e) => e.files.some((f) => f.state === 'hashing'))).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytesDone).toBeGreaterThanOrEqual(events[i - 1]!.bytesDone);
  });

  it('resumes after a part upload is dropped mid-way without re-sending the files that finished', async () => {
    const files = await nodeOutputFiles(out);
    const shards = files.filter((f) => f.path.endsWith('.safetensors')).map((f) => f.path);
    const victim = await oidOf(shards.at(-1)!);
    // The other shards finish while this part waits; then its connection drops mid-body.
    hub.fail({ pathIncludes: `${victim}/part/2`, times: 1, delayMs: 400, dropRequest: true });
    const first = await publishFolder({ repo: 'mock-user/resumed', files, hub: settings() }).catch((e: unknown) => e);
    expect(first, String(first)).toMatchObject({ code: 'E_NETWORK' });
    expect(hub.repoFiles('mock-user/resumed')?.size).toBe(0); // nothing committed: no half model on the Hub
    const finished = [];
    for (const shard of shards.slice(0, -1)) finished.push(await oidOf(shard));
    const completed = (oid: string) => hub.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`${oid}/complete`) && r.status === 200).length;
    expect(finished.map(completed)).toEqual(finished.map(() => 1));
    expect(hub.requests.some((r) => r.path.endsWith(`${victim}/part/2`) && r.status === -1)).toBe(true);

    hub.reset();
    const second = await publishFolder({ repo: 'mock-user/resumed', files, hub: settings() });
    expect(second.created).toBe(false);
    expect(finished.map((oid) => putsTo(oid).length)).toEqual(finished.map(() => 0));
    expect(putsTo(victim).length).toBeGreaterThan(0);
    expect([...second.alreadyStored].sort()).toEqual(shards.slice(0, -1).sort());
    await expectIdentical('mock-user/resumed');
  });

  it('retries after a 500 on the commit without sending any large file again', async () => {
    const files = await nodeOutputFiles(out);
    hub.fail({ pathIncludes: '/commit/main', times: 1, status: 500 });
    const first = await publishFolder({ repo: 'mock-user/commit-500', files, hub: settings() }).catch((e: unknown) => e);
    expect(isAppError(first, 'E_HUB_HTTP')).toBe(true);
    expect((first as Error).message).toMatch(/500/);
    hub.reset();
    const second = await publishFolder({ repo: 'mock-user/commit-500', files, hub: settings() });
    expect(lfsPuts()).toEqual([]);
    expect(second.alreadyStored.length).toBe(files.filter((f) => f.path.endsWith('.safetensors')).length);
    await expectIdentical('mock-user/commit-500');
  });

  it('refuses an expired or invalid token with the fix, never echoing the token', async () => {
    const token = 'hf_expiring_token_abcdef';
    const mock = await startMockHub({ repos: [], tokens: [token] });
    try {
      const local = hubSettings({ endpoint: mock.url, token });
      expect((await hubIdentity(local)).namespaces).toEqual(['mock-user', 'mock-org']);
      mock.expireToken(token);
      const files = await nodeOutputFiles(out);
      for (const attempt of [() => hubIdentity(local), () => publishFolder({ repo: 'mock-user/x', files, hub: local })]) {
        const error = await attempt().then(() => undefined, (e: unknown) => e);
        expect(isAppError(error, 'E_HUB_UNAUTHORIZED')).toBe(true);
        expect(JSON.stringify(error) + String((error as Error).message) + String((error as { hint?: string }).hint)).not.toContain(token);
        expect((error as { hint?: string }).hint).toMatch(/sign in again|fresh token/);
      }
      const bad = await hubIdentity(hubSettings({ endpoint: mock.url, token: 'not-a-token' })).catch((e: unknown) => e);
      expect(isAppError(bad, 'E_HUB_UNAUTHORIZED')).toBe(true);
    } finally {
      await mock.close();
    }
  });

  it('cancels with the signal, and a later publish completes', async () => {
    const files = await nodeOutputFiles(out);
    const controller = new AbortController();
    hub.fail({ pathIncludes: '/part/1', times: 3, delayMs: 300 });
    const publishing = publishFolder({
      repo: 'mock-user/cancelled',
      files,
      hub: settings(),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'uploading') controller.abort();
      },
    });
    await expect(publishing).rejects.toMatchObject({ code: 'E_CANCELLED' });
    hub.reset();
    await publishFolder({ repo: 'mock-user/cancelled', files, hub: settings() });
    await expectIdentical('mock-user/cancelled');
  });

  it('logs nothing with the token in it, on success and on failure', async () => {
    const logged: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))),
    );
    try {
      const files = await nodeOutputFiles(out);
      const events: PublishProgress[] = [];
      await publishFolder({ repo: 'mock-user/logged', files, hub: settings(), onProgress: (p) => events.push(p) });
      hub.fail({ pathIncludes: '/commit/main', times: 1, status: 500 });
      const error = await publishFolder({ repo: 'mock-user/logged', files, hub: settings() }).catch((e: unknown) => e);
      // The failure path must really have run, or the scan below proves nothing about it.
      expect(isAppError(error, 'E_HUB_HTTP')).toBe(true);
      expect(events.length).toBeGreaterThan(0);
      expect(JSON.stringify([logged, events, String(error), (error as { hint?: string }).hint])).not.toContain(MOCK_TOKEN);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('refuses an unfinished output folder and bad repo names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'publish-partial-'));
    try {
      await writeFile(join(dir, 'model.safetensors'), 'x');
      await writeFile(join(dir, PARTIAL_MARKER), '{}');
      await expect(nodeOutputFiles(dir)).rejects.toMatchObject({ code: 'E_OUTPUT_NOT_EMPTY' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await expect(publishFolder({ repo: 'no-slash', files: await nodeOutputFiles(out), hub: settings() })).rejects.toMatchObject({ code: 'E_RECIPE_INVALID' });
    await expect(publishFolder({ repo: 'someone-else/x', files: await nodeOutputFiles(out), hub: settings() })).rejects.toMatchObject({ code: 'E_HUB_UNAUTHORIZED' });
  });
});
