import { describe, expect, it } from 'vitest';

import { fixtureById, writeFixture } from '../../../test/fixtures/standard';
import { nearSwapShare } from '../../methods/nearswap-share';
import { decodeToF32 } from '../safetensors/codec';
import { isFloatDType, numel } from '../safetensors/dtype';
import { MemoryDirectorySink } from '../sink/memory-sink';
import { loadModel } from './load-model';
import { memoryFolder } from './memory-folder';
import { samplePairs, sampleTensorNames } from './sample-tensors';

async function fixtureModel(id: string) {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, fixtureById(id));
  return { model: await loadModel(memoryFolder(id, dir.files)), files: dir.files };
}

describe('sample tensors', () => {
  it('picks attention, MLP and norm of the middle layer and reads their leading elements exactly', async () => {
    const base = await fixtureModel('tiny/llama-bf16');
    const other = await fixtureModel('tiny/llama-bf16-ft');
    const names = sampleTensorNames(base.model, other.model);
    expect(names).toHaveLength(3);
    expect(names[0]).toMatch(/self_attn/);
    expect(names[1]).toMatch(/mlp/);
    expect(names[2]).toMatch(/norm/);
    const cap = 7;
    const pairs = await samplePairs(base.model, other.model, cap);
    expect(pairs).toHaveLength(3);
    pairs.forEach(([b, x], i) => {
      const t = base.model.tensors.get(names[i] as string);
      if (t === undefined || !isFloatDType(t.dtype)) throw new Error('missing');
      // Whole tensor decoded from the whole file's bytes, then its first `cap` elements.
      const whole = new Float32Array(numel(t.shape));
      decodeToF32(t.dtype, (base.files.get(t.file) as Uint8Array).subarray(t.offset, t.offset + t.length), whole);
      expect(b.length).toBe(Math.min(cap, whole.length));
      expect([...b]).toEqual([...whole.subarray(0, b.length)]);
      expect(x.length).toBe(b.length);
    });
    // The fine-tune differs from its base: a larger t moves more weights, all shares within [0, 1].
    const full = await samplePairs(base.model, other.model);
    const shares = [1e-6, 1e-4, 1e-2, 1e-1].map((t) => nearSwapShare(full, t));
    for (let i = 1; i < shares.length; i++) {
      expect(shares[i]?.meanWeight).toBeGreaterThanOrEqual(shares[i - 1]?.meanWeight as number);
      expect(shares[i]?.swapped).toBeGreaterThanOrEqual(shares[i - 1]?.swapped as number);
    }
    expect(shares[0]?.meanWeight).toBeLessThan(shares[3]?.meanWeight as number);
  });
});
