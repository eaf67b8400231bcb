/** The mock Hub's write side refuses what the real Hub and its storage refuse, so client bugs cannot pass against it. */
import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MOCK_TOKEN, startMockHub } from './server';
import type { MockHub } from './server';

let hub: MockHub;
const auth = { Authorization: `Bearer ${MOCK_TOKEN}` };
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  hub = await startMockHub({ repos: [], cdn: true, multipartChunkBytes: 4 });
  const made = await fetch(`${hub.url}/api/repos/create`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'strict', organization: 'mock-user', type: 'model' }) });
  expect(made.status).toBe(200);
});
afterAll(() => hub.close());

const batch = (objects: { oid: string; size: number }[]) =>
  fetch(`${hub.url}/mock-user/strict.git/info/lfs/objects/batch`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/vnd.git-lfs+json' },
    body: JSON.stringify({ operation: 'upload', transfers: ['basic', 'multipart'], hash_algo: 'sha_256', objects }),
  }).then((r) => r.json() as Promise<{ objects: { oid: string; actions?: { upload: { href: string; header?: Record<string, string> } }; error?: unknown }[] }>);

const commit = (lines: unknown[]) =>
  fetch(`${hub.url}/api/models/mock-user/strict/commit/main`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n') });

describe('the mock Hub write side', () => {
  it('refuses a second repo of the same name (409), another namespace (403) and writes without a token (401)', async () => {
    const again = await fetch(`${hub.url}/api/repos/create`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'strict', organization: 'mock-user' }) });
    expect(again.status).toBe(409);
    const other = await fetch(`${hub.url}/api/repos/create`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'x', organization: 'someone' }) });
    expect(other.status).toBe(403);
    const anonymous = await fetch(`${hub.url}/api/models/mock-user/strict/commit/main`, { method: 'POST', body: JSON.stringify({ key: 'header', value: { summary: 's' } }) });
    expect(anonymous.status).toBe(401);
  });

  it('stores a basic upload only when its bytes hash to the object id, and takes no token at the storage URL', async () => {
    const bytes = new TextEncoder().encode('abc');
    const [object] = (await batch([{ oid: sha(bytes), size: 3 }])).objects;
    const href = object!.actions!.upload.href;
    expect(href.startsWith(hub.cdnUrl!)).toBe(true);
    expect((await fetch(href, { method: 'PUT', headers: auth, body: bytes })).status).toBe(400);
    expect((await fetch(href, { method: 'PUT', body: new TextEncoder().encode('abd') })).status).toBe(400);
    expect((await fetch(href, { method: 'PUT', body: bytes })).status).toBe(200);
    expect((await batch([{ oid: sha(bytes), size: 3 }])).objects[0]!.actions).toBeUndefined();
  });

  it('assembles a multipart upload only with every part and its ETag', async () => {
    const bytes = new TextEncoder().encode('0123456789');
    const [object] = (await batch([{ oid: sha(bytes), size: 10 }])).objects;
    const { href, header } = object!.actions!.upload;
    expect(Object.keys(header!).filter((k) => /^\d+$/.test(k))).toEqual(['00001', '00002', '00003']);
    const etags: string[] = [];
    for (const [i, key] of ['00001', '00002', '00003'].entries()) {
      const res = await fetch(header![key]!, { method: 'PUT', body: bytes.slice(i * 4, i * 4 + 4) });
      etags.push(res.headers.get('ETag')!);
    }
    const complete = (parts: { partNumber: number; etag: string }[]) => fetch(href, { method: 'POST', body: JSON.stringify({ oid: sha(bytes), parts }) });
    expect((await complete(etags.slice(0, 2).map((etag, i) => ({ partNumber: i + 1, etag })))).status).toBe(400);
    expect((await complete(etags.map((_, i) => ({ partNumber: i + 1, etag: '"wrong"' })))).status).toBe(400);
    expect((await complete(etags.map((etag, i) => ({ partNumber: i + 1, etag })))).status).toBe(200);
  });

  it('commits atomically: a pointer to a missing object fails the whole commit; a good one is readable back', async () => {
    const stored = new TextEncoder().encode('abc');
    const missing = await commit([
      { key: 'header', value: { summary: 'bad' } },
      { key: 'file', value: { path: 'a.txt', content: Buffer.from('hi').toString('base64'), encoding: 'base64' } },
      { key: 'lfsFile', value: { path: 'w.bin', algo: 'sha256', size: 5, oid: 'f'.repeat(64) } },
    ]);
    expect(missing.status).toBe(422);
    expect(hub.repoFiles('mock-user/strict')?.size).toBe(0);
    const bad = await commit([{ key: 'header', value: { summary: 'x' } }, { key: 'file', value: { path: '../escape', content: '', encoding: 'base64' } }]);
    expect(bad.status).toBe(400);
    const good = await commit([
      { key: 'header', value: { summary: 'good' } },
      { key: 'file', value: { path: 'a.txt', content: Buffer.from('hi').toString('base64'), encoding: 'base64' } },
      { key: 'lfsFile', value: { path: 'dir/w.bin', algo: 'sha256', size: 3, oid: sha(stored) } },
    ]);
    const body = (await good.json()) as { commitOid: string };
    expect(body.commitOid).toMatch(/^[0-9a-f]{40}$/);
    const tree = (await (await fetch(`${hub.url}/api/models/mock-user/strict/tree/main?recursive=true`, { headers: auth })).json()) as { path: string; lfs?: { oid: string } }[];
    expect(tree.find((e) => e.path === 'dir/w.bin')?.lfs?.oid).toBe(sha(stored));
    expect(await (await fetch(`${hub.url}/mock-user/strict/resolve/main/dir/w.bin`, { headers: auth })).text()).toBe('abc');
  });
});
