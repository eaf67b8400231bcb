import { describe, expect, it } from 'vitest';

import { MemoryDirectorySink } from '../sink/memory-sink';
import { MemorySource } from '../source/memory-source';
import { readHeader } from './header';
import { entryBytes, orderLikeReference, planShards, shardFileName } from './layout';
import type { TensorEntry } from './layout';
import { parseShardIndex } from './shard-index';
import { ModelOutputWriter, PARTIAL_MARKER, SafetensorsFileWriter, readOutputManifest } from './writer';

const entry = (name: string, dtype: TensorEntry['dtype'], ...shape: number[]): TensorEntry => ({ name, dtype, shape });
const fill = (n: number, value: number) => new Uint8Array(n).fill(value);

describe('shard planning (mergekit §6.1)', () => {
  const entries = [entry('a', 'BF16', 10), entry('b', 'BF16', 10), entry('c', 'BF16', 10)]; // 20 bytes each

  it('keeps everything in model.safetensors without an index when it fits', () => {
    const plan = planShards(entries, 60);
    expect(plan.shards.map((s) => s.file)).toEqual(['model.safetensors']);
    expect(plan.index).toBeUndefined();
    expect(plan.totalSize).toBe(60);
  });

  it('starts a new shard only when the current one is non-empty and would exceed the limit', () => {
    expect(planShards(entries, 40).shards.map((s) => s.header.tensors.map((t) => t.name))).toEqual([['a', 'b'], ['c']]);
    expect(planShards(entries, 39).shards.map((s) => s.header.tensors.map((t) => t.name))).toEqual([['a'], ['b'], ['c']]);
    // A tensor larger than the limit is never split: it gets a shard of its own.
    const big = planShards([entry('x', 'F32', 100), entry('y', 'F32', 1)], 50);
    expect(big.shards.map((s) => s.header.dataBytes)).toEqual([400, 4]);
  });

  it('names shards with five digits and writes an index with total_size and the weight map', () => {
    const plan = planShards(entries, 40, { indexMetadata: { mergekit_version: 'merge-studio' } });
    expect(plan.shards.map((s) => s.file)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const index = parseShardIndex(plan.index!, 'index');
    expect(index.metadata).toEqual({ total_size: 60, mergekit_version: 'merge-studio' });
    expect([...index.weightMap]).toEqual([
      ['a', 'model-00001-of-00002.safetensors'],
      ['b', 'model-00001-of-00002.safetensors'],
      ['c', 'model-00002-of-00002.safetensors'],
    ]);
    expect(new TextDecoder().decode(plan.index)).toContain('\n  "metadata"');
    expect(shardFileName(11, 12)).toBe('model-00012-of-00012.safetensors');
  });

  it('orders each shard like the reference writer: larger dtypes first, then by name', () => {
    const mixed = [entry('z', 'BF16', 2), entry('b', 'F32', 2), entry('a', 'U8', 3), entry('c', 'F32', 1), entry('m', 'I64', 1)];
    expect(orderLikeReference(mixed).map((e) => e.name)).toEqual(['m', 'b', 'c', 'z', 'a']);
    const shard = planShards(mixed).shards[0]!;
    for (const tensor of shard.header.tensors) expect(tensor.begin % Math.max(1, entryBytes(entry('', tensor.dtype, 1)))).toBe(0);
    expect(shard.bytes).toBe(shard.header.bytes.byteLength + 8 + 8 + 4 + 4 + 3);
  });
});

describe('SafetensorsFileWriter', () => {
  const plan = planShards([entry('a', 'F32', 3), entry('e', 'F32', 0), entry('b', 'U8', 5)]);

  async function open() {
    const dir = new MemoryDirectorySink();
    const writer = await SafetensorsFileWriter.open(await dir.createFile('m.safetensors'), plan.shards[0]!.header);
    return { dir, writer };
  }

  it('streams tensors in chunks and produces a file that parses back to the same bytes', async () => {
    const { dir, writer } = await open();
    await writer.write('a', fill(5, 1));
    await writer.write('a', fill(7, 2));
    await writer.write('b', fill(5, 3)); // the empty tensor `e` needs no write
    await writer.finish();
    const file = dir.files.get('m.safetensors')!;
    const header = await readHeader(new MemorySource('m', file));
    expect(header.tensors.map((t) => t.name)).toEqual(['a', 'e', 'b']);
    expect([...file.subarray(header.dataOffset)]).toEqual([...fill(5, 1), ...fill(7, 2), ...fill(5, 3)]);
  });

  it('rejects bytes of the wrong tensor, too many bytes, and finishing early', async () => {
    const { writer } = await open();
    await expect(writer.write('b', fill(1, 0))).rejects.toMatchObject({ code: 'E_WRITER_ORDER', message: /a comes next/ });
    await expect(writer.write('a', fill(13, 0))).rejects.toMatchObject({ code: 'E_WRITER_ORDER', message: /holds 12 bytes/ });
    await writer.write('a', fill(12, 0));
    await expect(writer.finish()).rejects.toMatchObject({ code: 'E_WRITER_ORDER', message: /before b/ });
  });

  it('publishes nothing when aborted', async () => {
    const { dir, writer } = await open();
    await writer.write('a', fill(12, 0));
    await writer.abort();
    expect(await dir.list()).toEqual([]);
  });
});

describe('ModelOutputWriter', () => {
  const plan = planShards([entry('a', 'U8', 4), entry('b', 'U8', 4), entry('c', 'U8', 4)], 8);

  async function writeShard(writer: ModelOutputWriter, i: number) {
    const shard = await writer.openShard(i);
    for (const tensor of plan.shards[i]!.header.tensors) await shard.write(tensor.name, fill(4, i));
    await shard.finish();
  }

  it('keeps the partial marker until the end and writes the index last', async () => {
    const dir = new MemoryDirectorySink();
    const writer = await ModelOutputWriter.start(dir, plan, { fingerprint: 'p1' });
    expect(await dir.list()).toEqual([PARTIAL_MARKER]);
    await writer.writeExtraFile('config.json', new TextEncoder().encode('{}'));
    await writeShard(writer, 0);
    expect((await readOutputManifest(dir))?.finished).toEqual(['model-00001-of-00002.safetensors']);
    await writeShard(writer, 1);
    expect(await dir.list()).not.toContain('model.safetensors.index.json');
    expect(await dir.list()).toContain(PARTIAL_MARKER);
    await writer.finish();
    expect(await dir.list()).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
  });

  it('refuses to finish with shards missing, and an aborted run stays marked unfinished', async () => {
    const dir = new MemoryDirectorySink();
    const writer = await ModelOutputWriter.start(dir, plan, { fingerprint: 'p1' });
    await writeShard(writer, 0);
    const open = await writer.openShard(1);
    await open.write('c', fill(2, 0));
    await expect(writer.finish()).rejects.toMatchObject({ code: 'E_WRITER_ORDER' });
    await writer.abort();
    expect(await dir.list()).toEqual(['merge-studio-partial.json', 'model-00001-of-00002.safetensors']);
  });

  it('keeps only the finished shards it is told to keep that are still in the folder, and stores the fingerprint', async () => {
    const dir = new MemoryDirectorySink();
    const first = await ModelOutputWriter.start(dir, plan, { fingerprint: { run: 1 } });
    await writeShard(first, 0);
    await first.abort();
    expect(await readOutputManifest(dir)).toEqual({ fingerprint: { run: 1 }, shards: plan.shards.map((s) => s.file), finished: ['model-00001-of-00002.safetensors'] });
    const resumed = await ModelOutputWriter.start(dir, plan, { fingerprint: { run: 1 }, keep: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'other.bin'] });
    expect([...resumed.finishedShards]).toEqual(['model-00001-of-00002.safetensors']);
    await writeShard(resumed, 1);
    await resumed.finish();
    expect(await dir.list()).not.toContain(PARTIAL_MARKER);
    const fresh = await ModelOutputWriter.start(new MemoryDirectorySink(), plan, { fingerprint: 'x', keep: ['model-00001-of-00002.safetensors'] });
    expect(fresh.finishedShards.size).toBe(0);
  });

  it('reads a damaged or older marker as an unfinished folder with nothing to keep', async () => {
    const dir = new MemoryDirectorySink();
    dir.files.set(PARTIAL_MARKER, new TextEncoder().encode('{not json'));
    expect(await readOutputManifest(dir)).toEqual({ fingerprint: undefined, shards: [], finished: [] });
    dir.files.set(PARTIAL_MARKER, new TextEncoder().encode(JSON.stringify({ planId: 'p1', shards: [], finished: ['a'] })));
    expect(await readOutputManifest(dir)).toEqual({ fingerprint: undefined, shards: [], finished: ['a'] });
  });
});
