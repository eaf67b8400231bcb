import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeFixtureToDir } from '../../../test/fixtures/node-fixtures';
import { fixtureById, writeFixture } from '../../../test/fixtures/standard';
import { MemoryDirectorySink } from '../sink/memory-sink';
import { loadModel } from './load-model';
import { memoryFolder } from './memory-folder';
import { openNodeFolder } from './node-folder';

async function fixtureFiles(id: string): Promise<Map<string, Uint8Array>> {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, fixtureById(id));
  return dir.files;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('loadModel', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'load-model-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('describes a sharded model: weight files, absolute tensor ranges, config and tokenizer files', async () => {
    const files = await fixtureFiles('tiny/llama-bf16-sharded');
    const model = await loadModel(memoryFolder('tiny/llama-bf16-sharded', files));
    expect(model.weightFiles).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    expect(model.index?.shards).toEqual(model.weightFiles);
    expect(model.tensors.size).toBe(3 + 9 * 4);
    expect(model.config?.['architectures']).toEqual(['LlamaForCausalLM']);
    expect(model.tokenizerFiles).toEqual(['tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json', 'generation_config.json']);
    const norm = model.tensors.get('model.norm.weight')!;
    const header = model.headers.get(norm.file)!;
    expect(norm.offset).toBe(header.dataOffset + norm.begin);
    expect(norm.length).toBe(128);
  });

  it('reads the same description from a folder on disk as from memory', async () => {
    const dir = join(root, 'sharded');
    await writeFixtureToDir(dir, fixtureById('tiny/llama-bf16-sharded'));
    const fromDisk = await loadModel(await openNodeFolder(dir));
    const fromMemory = await loadModel(memoryFolder('m', await fixtureFiles('tiny/llama-bf16-sharded')));
    expect([...fromDisk.tensors]).toEqual([...fromMemory.tensors]);
    // A local folder on disk also knows when each file was last modified (part of a run's input fingerprint).
    expect(fromDisk.files.map(({ path, size }) => ({ path, size }))).toEqual(fromMemory.files);
    expect(fromDisk.files.every((f) => typeof f.modified === 'number' && f.modified > 0)).toBe(true);
    expect(fromDisk.config).toEqual(fromMemory.config);
    await fromDisk.folder.close();
  });

  it('explains a folder without safetensors weights', async () => {
    const onlyBin = memoryFolder('old/model', new Map([['config.json', json({})], ['pytorch_model.bin', new Uint8Array(4)]]));
    await expect(loadModel(onlyBin)).rejects.toMatchObject({ code: 'E_NO_WEIGHTS', message: /old\/model .*\.bin/, context: { model: 'old/model' } });
    await expect(loadModel(memoryFolder('empty', new Map()))).rejects.toMatchObject({ code: 'E_NO_WEIGHTS' });
  });

  it('explains an index that names a missing shard', async () => {
    const files = await fixtureFiles('tiny/llama-bf16-sharded');
    files.delete('model-00002-of-00003.safetensors');
    await expect(loadModel(memoryFolder('broken', files))).rejects.toMatchObject({
      code: 'E_SHARD_MISSING',
      message: /model-00002-of-00003\.safetensors/,
      context: { model: 'broken', shard: 'model-00002-of-00003.safetensors' },
    });
  });

  it('explains an index whose tensor is not in the named shard', async () => {
    const files = await fixtureFiles('tiny/llama-bf16-sharded');
    const index = JSON.parse(new TextDecoder().decode(files.get('model.safetensors.index.json')));
    index.weight_map['model.norm.weight'] = 'model-00001-of-00003.safetensors';
    files.set('model.safetensors.index.json', json(index));
    await expect(loadModel(memoryFolder('broken', files))).rejects.toMatchObject({ code: 'E_TENSOR_MISSING', context: { tensor: 'model.norm.weight', model: 'broken' } });
  });

  it('takes a single weight file with another name, and refuses several without an index', async () => {
    const files = await fixtureFiles('tiny/llama-bf16');
    const weights = files.get('model.safetensors')!;
    files.delete('model.safetensors');
    files.set('consolidated.safetensors', weights);
    const model = await loadModel(memoryFolder('renamed', files));
    expect(model.weightFiles).toEqual(['consolidated.safetensors']);
    expect([...model.tensors.values()].every((t) => t.file === 'consolidated.safetensors')).toBe(true);
    files.set('extra.safetensors', weights);
    await expect(loadModel(memoryFolder('two', files))).rejects.toMatchObject({ code: 'E_NO_WEIGHTS', message: /several \.safetensors files/ });
  });

  it('refuses a config.json that is JSON but not an object', async () => {
    const files = await fixtureFiles('tiny/llama-bf16');
    files.set('config.json', json(['LlamaForCausalLM']));
    await expect(loadModel(memoryFolder('arr', files))).rejects.toMatchObject({ code: 'E_CONFIG_INVALID', message: /not a JSON object/, context: { model: 'arr' } });
  });

  it('explains an invalid config.json and a corrupt weight file', async () => {
    const files = await fixtureFiles('tiny/llama-bf16');
    files.set('config.json', new TextEncoder().encode('{"architectures": '));
    await expect(loadModel(memoryFolder('cfg', files))).rejects.toMatchObject({ code: 'E_CONFIG_INVALID', context: { model: 'cfg', file: 'config.json' } });
    const corrupt = await fixtureFiles('tiny/llama-bf16');
    const weights = corrupt.get('model.safetensors')!;
    corrupt.set('model.safetensors', weights.subarray(0, weights.byteLength - 100));
    await expect(loadModel(memoryFolder('corrupt', corrupt))).rejects.toMatchObject({ code: 'E_BAD_OFFSETS', context: { model: 'corrupt', file: 'model.safetensors' } });
  });

  it('reads a local folder with nested files and ignores hidden ones', async () => {
    const dir = join(root, 'nested');
    await writeFixtureToDir(dir, fixtureById('tiny/llama-bf16'));
    await writeFile(join(dir, '.DS_Store'), 'x');
    const model = await loadModel(await openNodeFolder(dir));
    expect(model.files.map((f) => f.path)).not.toContain('.DS_Store');
    expect(model.weightFiles).toEqual(['model.safetensors']);
    await model.folder.close();
  });
});
