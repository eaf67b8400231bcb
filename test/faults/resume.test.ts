/**
 * Fault matrix: interrupted runs, inputs that change between runs, reproducible bytes. A resume keeps shards only
 * when every input, the recipe, the options and the tool version are the same, and its output is byte-identical to
 * an uninterrupted run; otherwise it starts over and names what changed.
 */
import { cp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { openNodeFolder } from '../../src/io/model/node-folder';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import { appError, copyModel, fixtureTree, mergeInto, sameFolders, slerp, snapshot, startOf, tempDir } from './support';

let models: string;
beforeAll(async () => {
  models = await fixtureTree();
});

const SHARD = 100_000;
describe('faults: resume and reproducible bytes', () => {
  /** Cancels the run after its first shard is published: the folder is left unfinished with that shard. */
  async function cancelAfterFirstShard(recipe: string, out: string): Promise<void> {
    const controller = new AbortController();
    const run = mergeInto(recipe, out, {
      shardBytes: SHARD,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'shard-written') controller.abort();
      },
    });
    expect((await appError(run)).code).toBe('E_CANCELLED');
    const names = [...(await snapshot(out)).keys()];
    expect(names).toContain(PARTIAL_MARKER);
    expect(names.filter((n) => n.endsWith('.safetensors'))).toHaveLength(1);
  }

  it('gives the same bytes in every file when the same merge runs twice, whatever order the headers arrive in', async () => {
    const recipe = `merge_method: ties\nbase_model: ${models}/tiny/llama-bf16\nmodels:\n  - model: ${models}/tiny/llama-bf16-ft\n    parameters: {weight: 0.6, density: 0.5}\n  - model: ${models}/tiny/llama-bf16-ft2\n    parameters: {weight: 0.4, density: 0.7}\ndtype: bfloat16\n`;
    // The first model named in the recipe is the slowest to open in one run and the fastest in the other.
    const delayed = (slow: string) => async (path: string) => {
      if (path.endsWith(slow)) await new Promise((r) => setTimeout(r, 50));
      return openNodeFolder(path);
    };
    const a = join(await tempDir(), 'out');
    const b = join(await tempDir(), 'out');
    await mergeInto(recipe, a, { shardBytes: SHARD, resolve: delayed('tiny/llama-bf16') });
    await mergeInto(recipe, b, { shardBytes: SHARD, resolve: delayed('tiny/llama-bf16-ft2') });
    const names = sameFolders(await snapshot(a), await snapshot(b));
    expect(names).toContain('model.safetensors.index.json');
    expect(names.filter((n) => n.endsWith('.safetensors')).length).toBeGreaterThan(2);
    // Parents are listed in the recipe's order.
    const shard = await readFile(join(a, 'model-00001-of-00004.safetensors'));
    const header = JSON.parse(shard.subarray(8, 8 + Number(shard.readBigUInt64LE(0))).toString('utf8')) as { __metadata__: Record<string, string> };
    expect((JSON.parse(header.__metadata__['merge_parents'] as string) as { model: string }[]).map((p) => p.model.split('/').slice(-1)[0])).toEqual([
      'llama-bf16',
      'llama-bf16-ft',
      'llama-bf16-ft2',
    ]);
  });

  it('resumes an interrupted run with its finished shards and ends byte-identical to an uninterrupted one', async () => {
    const recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`);
    const out = join(await tempDir(), 'out');
    await cancelAfterFirstShard(recipe, out);
    const events = await mergeInto(recipe, out, { shardBytes: SHARD });
    expect(startOf(events).resumedShards.length).toBeGreaterThan(0);
    expect(startOf(events).restartReasons).toEqual([]);
    const fresh = join(await tempDir(), 'out');
    await mergeInto(recipe, fresh, { shardBytes: SHARD });
    expect(sameFolders(await snapshot(out), await snapshot(fresh))).not.toContain(PARTIAL_MARKER);
  });

  type Change = (ctx: { other: string; recipe: string }) => Promise<{ recipe?: string; toolVersion?: string; seed?: number }>;
  const cases: [string, Change, RegExp][] = [
    [
      'a weight file replaced by one of the same size and header (a different fine-tune)',
      async ({ other }) => {
        const file = join(other, 'model.safetensors');
        const before = await stat(file);
        await cp(join(models, 'tiny/llama-bf16-ft2/model.safetensors'), file);
        await utimes(file, before.atime, new Date(before.mtimeMs + 5000));
        return {};
      },
      /^model .*llama-bf16-ft: model\.safetensors changed \(modified since\)$/,
    ],
    [
      'a weight file whose header changed but not its size or time',
      async ({ other }) => {
        const file = join(other, 'model.safetensors');
        const before = await stat(file);
        const bytes = await readFile(file);
        const at = bytes.indexOf('"format":"pt"');
        expect(at).toBeGreaterThan(0);
        bytes.write('"format":"PT"', at);
        await writeFile(file, bytes);
        await utimes(file, before.atime, before.mtime);
        return {};
      },
      /^model .*llama-bf16-ft: model\.safetensors changed \(its header differs\)$/,
    ],
    [
      'a weight file of another size (an f32 export)',
      async ({ other }) => {
        await cp(join(models, 'tiny/llama-f32/model.safetensors'), join(other, 'model.safetensors'));
        return {};
      },
      /^model .*llama-bf16-ft: model\.safetensors changed \(size \d+ → \d+ bytes\)$/,
    ],
    ['the recipe', ({ recipe }) => Promise.resolve({ recipe: recipe.replace('t: [0, 1]', 't: [0.2, 1]') }), /^the recipe changed$/],
    ['the seed option', () => Promise.resolve({ seed: 7 }), /^option seed changed \(0 → 7\)$/],
    ['the tool version', () => Promise.resolve({ toolVersion: '0.2.0' }), /^the tool version changed \(0\.1\.0 → 0\.2\.0\)$/],
  ];

  it.each(cases)('starts over, saying why, when %s changed since the interrupted run', async (_what, change, reason) => {
    const other = await copyModel(models, 'tiny/llama-bf16-ft');
    const recipe = slerp(`${models}/tiny/llama-bf16`, other);
    const out = join(await tempDir(), 'out');
    await cancelAfterFirstShard(recipe, out);
    const changed = await change({ other, recipe });
    const next = changed.recipe ?? recipe;
    const options = { shardBytes: SHARD, ...(changed.toolVersion === undefined ? {} : { toolVersion: changed.toolVersion }), ...(changed.seed === undefined ? {} : { seed: changed.seed }) };
    const events = await mergeInto(next, out, options);
    expect(startOf(events).resumedShards).toEqual([]);
    expect(startOf(events).restartReasons).toHaveLength(1);
    expect(startOf(events).restartReasons[0]).toMatch(reason);
    // What is left is exactly the merge of the new inputs.
    const fresh = join(await tempDir(), 'out');
    await mergeInto(next, fresh, options);
    sameFolders(await snapshot(out), await snapshot(fresh));
  });

  it('starts over when a LoRA adapter changed since the interrupted run', async () => {
    const adapter = await copyModel(models, 'tiny/llama-lora');
    const recipe = `merge_method: slerp\nbase_model: ${models}/tiny/llama-bf16+${adapter}\nmodels:\n  - model: ${models}/tiny/llama-bf16-ft\nparameters:\n  t: 0.5\ndtype: bfloat16\n`;
    const out = join(await tempDir(), 'out');
    await cancelAfterFirstShard(recipe, out);
    const file = join(adapter, 'adapter_model.safetensors');
    const before = await stat(file);
    await utimes(file, before.atime, new Date(before.mtimeMs + 5000));
    const events = await mergeInto(recipe, out, { shardBytes: SHARD });
    expect(startOf(events)).toMatchObject({ resumedShards: [], restartReasons: [expect.stringMatching(/^model .*llama-lora: adapter_model\.safetensors changed \(modified since\)$/)] });
  });

  it('starts over when the marker was written by an older version without a fingerprint', async () => {
    const recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`);
    const out = join(await tempDir(), 'out');
    await cancelAfterFirstShard(recipe, out);
    const marker = JSON.parse(await readFile(join(out, PARTIAL_MARKER), 'utf8')) as Record<string, unknown>;
    await writeFile(join(out, PARTIAL_MARKER), JSON.stringify({ planId: '0123456789abcdef', shards: marker['shards'], finished: marker['finished'] }));
    const events = await mergeInto(recipe, out, { shardBytes: SHARD });
    expect(startOf(events)).toMatchObject({ resumedShards: [], restartReasons: [expect.stringMatching(/no input fingerprint/)] });
  });
});
