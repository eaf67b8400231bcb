/**
 * Fault matrix: the Hub fails while a merge reads from it (through the mock Hub, with its CDN redirect). Transient
 * failures (a connection dropped mid-tensor, a 429 with Retry-After, an expired CDN URL) cost a retry and nothing
 * else: the output is byte-identical to an undisturbed run. Lasting ones (5xx beyond the retries, 401, 403, 404) stop
 * the run with a typed error naming the repo and file, leave an unfinished folder, and a later run resumes.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { EngineEvent } from '../../src/engine/api';
import { openHubFolder } from '../../src/io/model/hub-folder';
import { openNodeFolder } from '../../src/io/model/node-folder';
import { hubSettings } from '../../src/io/source/hub-client';
import type { ErrorCode } from '../../src/shared/errors';
import { standardRepos } from '../mock-hub/fixture-repos';
import { startMockHub } from '../mock-hub/server';
import type { MockFailure, MockHub } from '../mock-hub/server';
import { appError, fixtureTree, looksUnfinishedOrEmpty, mergeInto, sameFolders, slerp, snapshot, tempDir } from './support';
import type { MergeOptions } from './support';

let hub: MockHub;
let recipe: string;
let reference: Map<string, Buffer>;
const SHARD = 100_000;
const REPO = 'tiny/llama-bf16-ft';

beforeAll(async () => {
  const models = await fixtureTree();
  hub = await startMockHub({ repos: await standardRepos(), cdn: true });
  recipe = slerp(`${models}/tiny/llama-bf16`, REPO);
  const out = join(await tempDir(), 'out');
  await mergeInto(recipe, out, options());
  reference = await snapshot(out);
});
afterAll(async () => {
  await hub.close();
});
beforeEach(() => hub.reset());

/** Local paths open from disk, Hub ids from the mock Hub, with quick retries. */
function options(extra: Partial<MergeOptions> = {}): MergeOptions {
  const settings = hubSettings({ endpoint: hub.url, retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 } });
  return { shardBytes: SHARD, resolve: (path, revision) => (path.startsWith('/') ? openNodeFolder(path) : openHubFolder(path, revision, settings)), ...extra };
}

/** Injects `failure` once the run has started writing (the headers were read undisturbed). */
const failOnStart = (failure: MockFailure) => (event: EngineEvent) => {
  if (event.type === 'start') hub.fail(failure);
};

/** Calls `inject` once the first shard is written, so that there is something to resume. */
const afterFirstShard = (inject: () => void) => {
  let shards = 0;
  return (event: EngineEvent) => {
    if (event.type === 'shard-written' && ++shards === 1) inject();
  };
};

describe('faults: Hub failures during a merge', () => {
  it.each([
    ['a connection dropped mid-tensor', { pathIncludes: `/cdn/${REPO}/`, times: 3, dropAfterBytes: 1000 }],
    ['a 429 with Retry-After', { pathIncludes: `/cdn/${REPO}/`, times: 2, status: 429, headers: { 'Retry-After': '1' } }],
    ['a 503', { pathIncludes: `/cdn/${REPO}/`, times: 1, status: 503 }],
    ['an expired CDN URL (403 from the CDN)', { pathIncludes: `/cdn/${REPO}/`, times: 1, status: 403 }],
  ] as const)('retries %s and writes the same bytes as an undisturbed run', async (_what, failure) => {
    const out = join(await tempDir(), 'out');
    await mergeInto(recipe, out, options({ onEvent: failOnStart(failure) }));
    const failed = hub.requests.filter((r) => r.status === -1 || r.status >= 400);
    expect(failed.length).toBe(failure.times);
    sameFolders(await snapshot(out), reference);
  });

  const cdn = `/cdn/${REPO}/`;
  const resolve = `/${REPO}/resolve/`;
  const file = { model: REPO, file: 'model.safetensors' };
  it.each([
    [
      'a 429 whose Retry-After is longer than a run waits, saying how long,',
      { pathIncludes: cdn, times: 1, status: 429, headers: { 'Retry-After': '3600' } },
      { code: 'E_HUB_HTTP', message: 'The Hub is rate-limiting downloads of tiny/llama-bf16-ft/model.safetensors: it asks to wait 3600 s.', context: { ...file, status: 429 } },
    ],
    ['5xx beyond the retries', { status: 502, pathIncludes: cdn, times: 1000 }, { code: 'E_NETWORK', message: expect.stringMatching(/^Downloading tiny\/llama-bf16-ft\/model\.safetensors failed at byte \d+ \(HTTP 502\)\.$/), context: file }],
    ['401', { status: 401, pathIncludes: resolve, times: 1000 }, { code: 'E_HUB_UNAUTHORIZED', message: expect.stringMatching(/^tiny\/llama-bf16-ft was not found, or it is private and needs an access token\.$/), context: file }],
    ['403', { status: 403, pathIncludes: resolve, times: 1000 }, { code: 'E_HUB_UNAUTHORIZED', message: expect.stringMatching(/^The Hub refused access to model\.safetensors of tiny\/llama-bf16-ft\.$/), context: file }],
    ['404', { status: 404, pathIncludes: resolve, times: 1000 }, { code: 'E_HUB_NOT_FOUND', message: expect.stringMatching(/tiny\/llama-bf16-ft/), context: file }],
  ] satisfies [string, MockFailure, { code: ErrorCode; message: unknown; context: object }][])(
    'stops on %s with a typed error naming the repo and file, and resumes later',
    async (_what, answer, expected) => {
      const out = join(await tempDir(), 'out');
      const error = await appError(
        mergeInto(
          recipe,
          out,
          options({
            // Tensors are read as they are written, so the failure lands after the first shard.
            preloadBytes: 0,
            onEvent: afterFirstShard(() => {
              // A file is resolved once per run and then read from its signed CDN URL: a refused CDN read makes the
              // source resolve again, and that is where a lasting Hub answer lands.
              if (answer.pathIncludes.includes('/resolve/')) hub.fail({ pathIncludes: cdn, times: 1, status: 403 });
              hub.fail(answer);
            }),
          }),
        ),
      );
      expect(error).toMatchObject(expected);
      expect(await looksUnfinishedOrEmpty(out)).toBe(true);
      hub.reset();
      const events = await mergeInto(recipe, out, options());
      expect(events.find((e) => e.type === 'start')).toMatchObject({ resumedShards: ['model-00001-of-00004.safetensors'], restartReasons: [] });
      sameFolders(await snapshot(out), reference);
    },
  );
});
