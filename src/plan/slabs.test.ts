import { describe, expect, it } from 'vitest';

import { SLAB_MIN_READ_BYTES, layoutBytes, layoutReads, slabBytesOf } from './slabs';
import type { MergeExpr, PlannedTensor, ReadExpr } from './types';

const MiB = 1024 * 1024;

function read(input: string, tensor: string, length: number): ReadExpr {
  return { kind: 'read', input, tensor, file: 'model.safetensors', offset: 0, length, dtype: 'BF16', shape: [length / 2] };
}

function slerp(inputs: MergeExpr['inputs']): MergeExpr {
  return { kind: 'merge', method: 'slerp', stage: undefined, inputs, baseIndex: 0, globals: { t: 0.5 }, perModel: inputs.map(() => ({})), dtype: 'BF16', seed: 0 };
}

function tensor(name: string, bytes: number, inputs = ['a', 'b']): PlannedTensor {
  return { name, dtype: 'BF16', shape: [bytes / 2], shard: 0, expr: slerp(inputs.map((input) => read(input, name, bytes))) };
}

describe('slabs: how the inputs of tensors read whole lie in memory', () => {
  // A 7B-shaped two-model merge: 90 MB MLP reads, 34 MB attention reads, 8 kB norms, 262 MB embeddings (streamed).
  const mlp = tensor('mlp', 4096 * 11008 * 2);
  const attention = tensor('attention', 4096 * 4096 * 2);
  const norm = tensor('norm', 4096 * 2);
  const embeddings = tensor('embeddings', 32000 * 4096 * 2);

  it('the slab is the longest read of the tensors read whole, in whole MiB', () => {
    expect(slabBytesOf([norm, attention, mlp, embeddings], 256 * MiB)).toBe(Math.ceil((4096 * 11008 * 2) / MiB) * MiB);
    // The embeddings are read whole only with a larger preload budget.
    expect(slabBytesOf([norm, attention, mlp, embeddings], 600 * MiB)).toBe(Math.ceil((32000 * 4096 * 2) / MiB) * MiB);
    // Nothing longer than the threshold: no slabs.
    expect(slabBytesOf([norm, tensor('short', SLAB_MIN_READ_BYTES)], 256 * MiB)).toBe(0);
  });

  it('packs long reads first-fit into slabs, aligned; short ones and ones longer than the slab keep their own buffer', () => {
    const slab = slabBytesOf([attention, mlp], 256 * MiB);
    const reads = (t: PlannedTensor) => (t.expr as MergeExpr).inputs as ReadExpr[];
    // Both attention reads share one slab: the second starts at the first's end, 64-byte aligned.
    expect(layoutReads(reads(attention), slab)).toEqual({ slabs: [[{ read: reads(attention)[0], offset: 0 }, { read: reads(attention)[1], offset: 4096 * 4096 * 2 }]], own: [] });
    // Two MLP reads do not fit one slab.
    expect(layoutReads(reads(mlp), slab).slabs.map((s) => s.length)).toEqual([1, 1]);
    expect(layoutReads(reads(norm), slab)).toEqual({ slabs: [], own: reads(norm) });
    const odd = [read('a', 'x', 17 * MiB + 2), read('b', 'x', 17 * MiB + 2)];
    expect(layoutReads(odd, 40 * MiB).slabs[0]?.map((s) => s.offset)).toEqual([0, 17 * MiB + 64]);
    const long = read('a', 'y', slab + 2);
    expect(layoutReads([long], slab)).toEqual({ slabs: [], own: [long] });
    // Without a slab size every read is on its own.
    expect(layoutReads(reads(attention), 0)).toEqual({ slabs: [], own: reads(attention) });
  });

  it('counts a slab whole, however full', () => {
    const slab = 100 * MiB;
    expect(layoutBytes([read('a', 'x', 20 * MiB), read('b', 'x', 20 * MiB)], slab)).toBe(slab);
    expect(layoutBytes([read('a', 'x', 60 * MiB), read('b', 'x', 60 * MiB), read('c', 'x', 4 * MiB)], slab)).toBe(2 * slab + 4 * MiB);
    expect(layoutBytes([read('a', 'x', 60 * MiB)], 0)).toBe(60 * MiB);
  });
});
