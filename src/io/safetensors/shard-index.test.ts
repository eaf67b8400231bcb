import { describe, expect, it } from 'vitest';

import { AppError } from '../../shared/errors';
import { MemorySource } from '../source/memory-source';
import { parseShardIndex, readShardIndex } from './shard-index';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function indexError(value: unknown): AppError {
  try {
    parseShardIndex(typeof value === 'string' ? new TextEncoder().encode(value) : encode(value), 'model.safetensors.index.json');
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the index to be rejected');
}

describe('shard index', () => {
  it('lists tensors and shards in file order', () => {
    const index = parseShardIndex(
      encode({ metadata: { total_size: 10 }, weight_map: { b: 'm-2.safetensors', a: 'm-1.safetensors', c: 'm-2.safetensors' } }),
      'index.json',
    );
    expect(index.shards).toEqual(['m-2.safetensors', 'm-1.safetensors']);
    expect([...index.weightMap]).toEqual([['b', 'm-2.safetensors'], ['a', 'm-1.safetensors'], ['c', 'm-2.safetensors']]);
    expect(index.metadata).toEqual({ total_size: 10 });
  });

  it.each([
    ['../other/model.safetensors'],
    ['/etc/model.safetensors'],
    ['sub/model.safetensors'],
    ['..\\model.safetensors'],
    ['%2e%2e%2fmodel.safetensors'],
    ['model.bin'],
    ['.hidden.safetensors'],
  ])('rejects the shard name %s', (name) => {
    const error = indexError({ weight_map: { w: name } });
    expect(error.code).toBe('E_INDEX_INVALID');
    expect(error.message).toContain('model.safetensors.index.json');
    expect(error.message).toContain(JSON.stringify(name));
  });

  it('rejects broken JSON, a missing weight_map, non-string entries and an empty map', () => {
    expect(indexError('{"weight_map": ').message).toMatch(/not valid JSON/);
    expect(indexError({ metadata: {} }).message).toMatch(/no `weight_map`/);
    expect(indexError({ weight_map: { w: 3 } }).message).toMatch(/maps tensor w to 3/);
    expect(indexError({ weight_map: {} }).message).toMatch(/lists no tensors/);
    expect(indexError({ weight_map: { w: 'a.safetensors' }, metadata: [] }).message).toMatch(/metadata/);
  });

  it('refuses an oversized index before reading it', async () => {
    const source = new MemorySource('model.safetensors.index.json', encode({ weight_map: { w: 'a.safetensors' } }));
    await expect(readShardIndex(source, { maxBytes: 10 })).rejects.toMatchObject({ code: 'E_INDEX_INVALID' });
    expect((await readShardIndex(source)).shards).toEqual(['a.safetensors']);
  });
});
