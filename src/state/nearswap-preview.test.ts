import { describe, expect, it } from 'vitest';

import { fixtureById, writeFixture } from '../../test/fixtures/standard';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import type { Model } from '../io/model/types';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { nearSwapShare } from '../methods/nearswap-share';
import { pairSamples } from './nearswap-preview';

async function fixtureModel(id: string): Promise<{ model: Model }> {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, fixtureById(id));
  return { model: await loadModel(memoryFolder(id, dir.files)) };
}

describe('NearSwap preview samples', () => {
  it('reads a model pair once; the share grows with t (more weights move)', async () => {
    const base = await fixtureModel('tiny/llama-bf16');
    const other = await fixtureModel('tiny/llama-bf16-ft');
    const first = pairSamples(base.model, other.model);
    expect(pairSamples(base.model, other.model)).toBe(first);
    const pairs = await first;
    expect(pairs.length).toBeGreaterThan(0);
    const small = nearSwapShare(pairs, 1e-6).swapped;
    const large = nearSwapShare(pairs, 1e-1).swapped;
    expect(large).toBeGreaterThan(small);
  });
});
