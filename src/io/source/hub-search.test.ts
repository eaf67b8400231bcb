import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fixtureFiles } from '../../../test/fixtures/recipe-inputs';
import { standardRepos } from '../../../test/mock-hub/fixture-repos';
import { startMockHub } from '../../../test/mock-hub/server';
import type { MockHub } from '../../../test/mock-hub/server';
import { loadModel } from '../model/load-model';
import { memoryFolder } from '../model/memory-folder';
import { dtypeBits, numel } from '../safetensors/dtype';
import { hubSettings } from './hub-client';
import { searchHubModels } from './hub-search';

describe('searching the Hub for models', () => {
  let hub: MockHub;
  beforeAll(async () => {
    hub = await startMockHub({ repos: await standardRepos() });
  });
  afterAll(() => hub.close());

  /** Parameters and weight bytes of a fixture, summed from its own headers. */
  async function weightsOf(id: string): Promise<{ params: number; sizeBytes: number }> {
    const model = await loadModel(memoryFolder(id, await fixtureFiles(id)));
    let params = 0;
    let bits = 0;
    for (const tensor of model.tensors.values()) {
      params += numel(tensor.shape);
      bits += numel(tensor.shape) * dtypeBits(tensor.dtype);
    }
    return { params, sizeBytes: Math.ceil(bits / 8) };
  }

  it('gives each hit its downloads, likes, architecture, parameter count and weight size; private repos stay hidden', async () => {
    const hits = await searchHubModels(hubSettings({ endpoint: hub.url }), 'llama-bf16');
    const ids = hits.map((h) => h.id);
    expect(ids).toContain('tiny/llama-bf16-ft');
    expect(ids).not.toContain('private/llama-bf16');
    // Most downloaded first.
    expect(hits.map((h) => h.downloads)).toEqual([...hits.map((h) => h.downloads)].sort((a, b) => b - a));
    const ft = hits.find((h) => h.id === 'tiny/llama-bf16-ft');
    expect(ft).toMatchObject({ architecture: 'LlamaForCausalLM', gated: false, ...(await weightsOf('tiny/llama-bf16-ft')) });
    expect(hits.find((h) => h.id === 'gated/llama-bf16')?.gated).toBe(true);
  });

  it('sizes a model of mixed dtypes by the bits of each', async () => {
    const [edge] = await searchHubModels(hubSettings({ endpoint: hub.url }), 'edge-dtypes');
    expect(edge).toMatchObject({ id: 'tiny/edge-dtypes', architecture: 'EdgeCaseModel', ...(await weightsOf('tiny/edge-dtypes')) });
  });
});
