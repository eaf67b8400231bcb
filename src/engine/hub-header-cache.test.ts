import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { standardRepos } from '../../test/mock-hub/fixture-repos';
import { startMockHub } from '../../test/mock-hub/server';
import type { MockHub } from '../../test/mock-hub/server';
import { LZLV } from '../../test/fixtures/recipes';
import { lensCost } from './lens-service';
import { inspectSource, planRequest } from './service';

let hub: MockHub;
beforeAll(async () => {
  hub = await startMockHub({ repos: await standardRepos(), cdn: true });
});
afterAll(() => hub.close());

/** Requests per kind for one repo: model info, file tree, and reads of its weight files (headers). */
function requestsFor(repo: string): { info: number; tree: number; weightReads: number } {
  const hubRequests = hub.requests.filter((r) => r.server === 'hub');
  return {
    info: hubRequests.filter((r) => r.path === `/api/models/${repo}` || r.path.startsWith(`/api/models/${repo}/revision/`)).length,
    tree: hubRequests.filter((r) => r.path.startsWith(`/api/models/${repo}/tree/`)).length,
    weightReads: hub.requests.filter((r) => r.path.includes(`/${repo}/`) && r.path.endsWith('.safetensors')).length,
  };
}

describe('Hub model facts are fetched once per page load', () => {
  it('inspecting a model, planning twice and planning again after an edit ask the Hub for its info, tree and headers once', async () => {
    const access = { endpoint: hub.url };
    const output = { name: 'out' };
    await inspectSource({ kind: 'hub', repo: 'tiny/llama-bf16' }, access);
    const first = requestsFor('tiny/llama-bf16');
    expect(first.info).toBe(1);
    expect(first.tree).toBe(1);
    expect(first.weightReads).toBeGreaterThan(0);
    const plan = await planRequest({ recipeText: LZLV, sources: {}, hub: access, output });
    await planRequest({ recipeText: LZLV.replace('t: 0.5', 't: 0.6'), sources: {}, hub: access, output });
    expect(requestsFor('tiny/llama-bf16')).toEqual(first);
    for (const repo of ['tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2']) expect(requestsFor(repo)).toMatchObject({ info: 1, tree: 1 });
    expect(plan.inputs.map((i) => i.ref).sort()).toEqual(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2']);
  });

  it("the weight lens's cost step reads no header of a repo already inspected", async () => {
    const access = { endpoint: hub.url };
    await inspectSource({ kind: 'hub', repo: 'tiny/llama-bf16-ft' }, access);
    await inspectSource({ kind: 'hub', repo: 'tiny/llama-bf16-ft2' }, access);
    const before = [requestsFor('tiny/llama-bf16-ft'), requestsFor('tiny/llama-bf16-ft2')];
    const cost = await lensCost({ a: { kind: 'hub', repo: 'tiny/llama-bf16-ft' }, b: { kind: 'hub', repo: 'tiny/llama-bf16-ft2' }, hub: access, mode: 'fast' });
    expect(cost.tensorCount).toBeGreaterThan(0);
    expect([requestsFor('tiny/llama-bf16-ft'), requestsFor('tiny/llama-bf16-ft2')]).toEqual(before);
  });

  it('a repo that failed to load is asked for again', async () => {
    const access = { endpoint: hub.url };
    hub.fail({ pathIncludes: '/api/models/tiny/mistral-f16', times: 1, status: 404 });
    await expect(inspectSource({ kind: 'hub', repo: 'tiny/mistral-f16' }, access)).rejects.toMatchObject({ code: 'E_HUB_NOT_FOUND' });
    const summary = await inspectSource({ kind: 'hub', repo: 'tiny/mistral-f16' }, access);
    expect(summary.ref).toBe('tiny/mistral-f16');
  });
});
