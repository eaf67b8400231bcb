import { afterEach, describe, expect, it } from 'vitest';

import { standardRepos } from '../../../test/mock-hub/fixture-repos';
import type { MemoryRepo } from '../../../test/mock-hub/fixture-repos';
import { MOCK_TOKEN, startMockHub } from '../../../test/mock-hub/server';
import type { MockHub, MockHubOptions } from '../../../test/mock-hub/server';
import { openHubFolder } from '../model/hub-folder';
import { hubSettings, signedUrlExpiry } from './hub-client';

const FAST_RETRY = { retries: 2, baseDelayMs: 1, maxDelayMs: 5 };
let hub: MockHub | undefined;

afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

async function start(options: Partial<MockHubOptions> = {}): Promise<{ hub: MockHub; repos: MemoryRepo[] }> {
  const repos = await standardRepos();
  hub = await startMockHub({ repos, cdn: true, ...options });
  return { hub, repos };
}

/** `resolve` requests for one file, and reads that reached the CDN. */
function counts(h: MockHub, file: string): { resolves: number; cdnReads: number; refused: number } {
  return {
    resolves: h.requests.filter((r) => r.server === 'hub' && r.path.includes('/resolve/') && r.path.endsWith(file)).length,
    cdnReads: h.requests.filter((r) => r.server === 'cdn' && r.status === 206).length,
    refused: h.requests.filter((r) => r.server === 'cdn' && r.status === 403).length,
  };
}

describe('Hub files are resolved once per run', () => {
  it('resolves a file once, then reads every range from the signed CDN URL, concurrent (coalesced) first reads included', async () => {
    const { hub: h, repos } = await start();
    const weights = repos.find((r) => r.id === 'tiny/llama-bf16')!.files.get('model.safetensors')!;
    const folder = await openHubFolder('tiny/llama-bf16', undefined, hubSettings({ endpoint: h.url, retry: FAST_RETRY }));
    const source = await folder.open('model.safetensors');
    h.reset();
    const ranges = Array.from({ length: 12 }, (_, i) => [i * 1000, 500 + i] as const);
    const got = await Promise.all(ranges.map(([offset, length]) => source.read(offset, length)));
    got.forEach((bytes, i) => expect([...bytes]).toEqual([...weights.subarray(ranges[i]![0], ranges[i]![0] + ranges[i]![1])]));
    for (const [offset, length] of ranges) await source.read(offset + 7, length);
    // The twelve reads issued together are a few hundred bytes apart: one request serves them all.
    expect(counts(h, 'model.safetensors')).toEqual({ resolves: 1, cdnReads: 13, refused: 0 });
    // The same folder hands out the same source: a second open is not a second resolve.
    await (await folder.open('model.safetensors')).read(0, 8);
    expect(counts(h, 'model.safetensors').resolves).toBe(1);
  });

  it('resolves again when the CDN refuses an expired URL, and reads on', async () => {
    let now = Date.now();
    const { hub: h, repos } = await start({ now: () => now });
    const weights = repos.find((r) => r.id === 'tiny/llama-bf16')!.files.get('model.safetensors')!;
    const folder = await openHubFolder('tiny/llama-bf16', undefined, hubSettings({ endpoint: h.url, retry: FAST_RETRY }));
    const source = await folder.open('model.safetensors');
    h.reset();
    await source.read(0, 64);
    now += 2 * 3600 * 1000; // the CDN's clock passes the URL's expiry
    expect([...(await source.read(100, 64))]).toEqual([...weights.subarray(100, 164)]);
    await source.read(200, 64);
    expect(counts(h, 'model.safetensors')).toEqual({ resolves: 2, cdnReads: 3, refused: 1 });
  });

  it('treats a redirect that lands on a refused URL like a kept URL the CDN refuses: resolves again at once, no retry spent', async () => {
    const { hub: h, repos } = await start();
    const weights = repos.find((r) => r.id === 'tiny/llama-bf16')!.files.get('model.safetensors')!;
    // No retries: only the immediate re-resolve may save the read.
    const settings = hubSettings({ endpoint: h.url, retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } });
    const source = await (await openHubFolder('tiny/llama-bf16', undefined, settings)).open('model.safetensors');
    h.reset();
    h.fail({ pathIncludes: '/cdn/tiny/llama-bf16/', times: 1, status: 403 });
    expect([...(await source.read(0, 64))]).toEqual([...weights.subarray(0, 64)]);
    await source.read(64, 64);
    expect(counts(h, 'model.safetensors')).toEqual({ resolves: 2, cdnReads: 2, refused: 1 });
    // A freshly resolved URL refused too is a failed attempt (here: no retries left), whichever way the URL came.
    h.reset();
    h.fail({ pathIncludes: '/cdn/tiny/llama-bf16/', times: 2, status: 403 });
    await expect(source.read(128, 64)).rejects.toMatchObject({ code: 'E_NETWORK', context: { model: 'tiny/llama-bf16', file: 'model.safetensors', status: 403 } });
    expect(counts(h, 'model.safetensors')).toEqual({ resolves: 1, cdnReads: 0, refused: 2 });
  });

  it('resolves again before a URL expires (it would expire within the safety margin)', async () => {
    const { hub: h } = await start({ cdnUrlTtlSeconds: 10 });
    const folder = await openHubFolder('tiny/llama-bf16', undefined, hubSettings({ endpoint: h.url, retry: FAST_RETRY }));
    const source = await folder.open('model.safetensors');
    h.reset();
    for (let i = 0; i < 3; i++) await source.read(i * 10, 10);
    expect(counts(h, 'model.safetensors')).toEqual({ resolves: 3, cdnReads: 3, refused: 0 });
  });

  it('never sends the token to the CDN origin, on the first read, later reads or a re-resolve', async () => {
    let now = Date.now();
    const { hub: h } = await start({ now: () => now });
    const folder = await openHubFolder('private/llama-bf16', undefined, hubSettings({ endpoint: h.url, token: MOCK_TOKEN, retry: FAST_RETRY }));
    const source = await folder.open('model.safetensors');
    h.reset();
    await source.read(0, 8);
    await source.read(8, 8);
    now += 2 * 3600 * 1000;
    await source.read(16, 8);
    const cdn = h.requests.filter((r) => r.server === 'cdn');
    const resolves = h.requests.filter((r) => r.server === 'hub');
    expect(cdn.length).toBe(4); // three reads, one of them refused once
    expect(cdn.every((r) => !r.hasAuthorization)).toBe(true);
    expect(resolves.length).toBe(2);
    expect(resolves.every((r) => r.hasAuthorization)).toBe(true);
  });

  it('reads the expiry of CloudFront- and S3-style signed URLs', () => {
    expect(signedUrlExpiry('https://cdn.example/x?Expires=1700000000&Signature=abc')).toBe(1_700_000_000_000);
    expect(signedUrlExpiry('https://s3.example/x?X-Amz-Date=20260102T030405Z&X-Amz-Expires=3600&X-Amz-Signature=1')).toBe(Date.UTC(2026, 0, 2, 4, 4, 5));
    expect(signedUrlExpiry('https://cdn.example/x')).toBeUndefined();
  });
});
