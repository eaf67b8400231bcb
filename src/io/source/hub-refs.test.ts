import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { standardRepos } from '../../../test/mock-hub/fixture-repos';
import { MOCK_TOKEN, startMockHub } from '../../../test/mock-hub/server';
import type { MockHub } from '../../../test/mock-hub/server';
import { hubSettings } from './hub-client';
import { listHubRefs } from './hub-refs';
import { openHubFolder } from '../model/hub-folder';

describe('the branches and tags of a Hub repo', () => {
  let hub: MockHub;
  beforeAll(async () => {
    hub = await startMockHub({ repos: await standardRepos() });
  });
  afterAll(() => hub.close());

  it('lists main first, then the other branches, then tags, each with its commit; each one opens', async () => {
    const settings = hubSettings({ endpoint: hub.url });
    const refs = await listHubRefs(settings, 'tiny/llama-bf16');
    expect(refs.map((r) => `${r.kind}:${r.name}`)).toEqual(['branch:main', 'branch:dev', 'tag:v1.0']);
    const main = await openHubFolder('tiny/llama-bf16', undefined, settings);
    expect(new Set(refs.map((r) => r.commit))).toEqual(new Set([main.revision]));
    for (const ref of refs) expect((await openHubFolder('tiny/llama-bf16', ref.name, settings)).revision).toBe(main.revision);
  });

  it('asks for a token for a private repo, and sends the one it has', async () => {
    hub.reset();
    await expect(listHubRefs(hubSettings({ endpoint: hub.url }), 'private/llama-bf16')).rejects.toMatchObject({ code: 'E_HUB_UNAUTHORIZED' });
    const refs = await listHubRefs(hubSettings({ endpoint: hub.url, token: MOCK_TOKEN }), 'private/llama-bf16');
    expect(refs.map((r) => r.name)).toEqual(['main']);
    const sent = hub.requests.filter((r) => r.path.endsWith('/refs'));
    expect(sent.map((r) => r.hasAuthorization)).toEqual([false, true]);
  });

  it('refuses an answer that is not a list of refs', async () => {
    const answer = (body: string) => hubSettings({ endpoint: 'https://hub.test', fetch: () => Promise.resolve(new Response(body, { status: 200 })) });
    await expect(listHubRefs(answer('not json'), 'a/b')).rejects.toMatchObject({ code: 'E_HUB_BAD_RESPONSE' });
    await expect(listHubRefs(answer('{"branches": [{"name": "main", "targetCommit": "abc"}]}'), 'a/b')).rejects.toMatchObject({ code: 'E_HUB_BAD_RESPONSE' });
    await expect(listHubRefs(answer('{"branches": {}}'), 'a/b')).rejects.toMatchObject({ code: 'E_HUB_BAD_RESPONSE' });
  });
});
