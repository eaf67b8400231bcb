/**
 * Fault matrix: damaged or unusable inputs. Each case is a real model folder on disk with one thing wrong; the merge
 * must stop with a typed error that names the model and the file (or recipe line), before anything that could look
 * like a finished model is written.
 */
import { cp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { resolveFolder } from '../../src/cli/resolve-folder';
import type { ErrorCode } from '../../src/shared/errors';
import { appError, fixtureTree, looksUnfinishedOrEmpty, mergeInto, slerp, tempDir } from './support';

let models: string;
beforeAll(async () => {
  models = await fixtureTree();
});

/** A copy of a fixture model that a case may damage. */
async function damaged(id: string, damage: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(await tempDir('faults-damaged-'), id.split('/')[1] as string);
  await cp(join(models, id), dir, { recursive: true });
  await damage(dir);
  return dir;
}

/** Rewrites the header JSON of a safetensors file in place (the data section is kept as it is). */
async function editHeader(file: string, edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>) => void): Promise<void> {
  const bytes = await readFile(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Parameters<typeof edit>[0];
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.byteLength));
  await writeFile(file, Buffer.concat([prefix, json, bytes.subarray(8 + length)]));
}

const WEIGHTS = 'model.safetensors';
const Q0 = 'model.layers.0.self_attn.q_proj.weight';
const K0 = 'model.layers.0.self_attn.k_proj.weight';

interface Case {
  readonly what: string;
  readonly id?: string;
  readonly damage: (dir: string) => Promise<void>;
  readonly code: ErrorCode;
  /** The culprit as the error must name it. */
  readonly message: RegExp;
  readonly file?: string;
}

const cases: Case[] = [
  { what: 'a truncated weight file', damage: (d) => truncate(join(d, WEIGHTS), 200_000), code: 'E_BAD_OFFSETS', message: /model\.safetensors .*past the end of the file/, file: WEIGHTS },
  { what: 'a weight file shorter than its length prefix', damage: (d) => truncate(join(d, WEIGHTS), 5), code: 'E_TRUNCATED', message: /too short for a safetensors file/, file: WEIGHTS },
  {
    what: 'a header whose offsets point past the data',
    damage: (d) => editHeader(join(d, WEIGHTS), (h) => void ((h[Q0] as { data_offsets: [number, number] }).data_offsets[1] += 10_000_000)),
    code: 'E_BAD_OFFSETS',
    message: /q_proj\.weight: data_offsets .* hold \d+ bytes/,
    file: WEIGHTS,
  },
  {
    what: 'a header whose tensors overlap',
    damage: (d) =>
      editHeader(join(d, WEIGHTS), (h) => {
        const q = h[Q0] as { data_offsets: [number, number]; shape: number[] };
        const k = h[K0] as { data_offsets: [number, number]; shape: number[] };
        k.data_offsets = [q.data_offsets[0], q.data_offsets[0] + (k.data_offsets[1] - k.data_offsets[0])];
      }),
    code: 'E_BAD_OFFSETS',
    message: /overlap|belong to no tensor/,
    file: WEIGHTS,
  },
  { what: 'an unknown dtype', damage: (d) => editHeader(join(d, WEIGHTS), (h) => void ((h[Q0] as { dtype: string }).dtype = 'BF17')), code: 'E_UNKNOWN_DTYPE', message: /q_proj\.weight: unknown dtype "BF17"/, file: WEIGHTS },
  {
    what: 'a shape that does not match the byte size',
    damage: (d) => editHeader(join(d, WEIGHTS), (h) => void ((h[Q0] as { shape: number[] }).shape = [64, 32])),
    code: 'E_BAD_OFFSETS',
    message: /q_proj\.weight: data_offsets .* hold 8192 bytes but BF16 \[64,32\] needs 4096/,
    file: WEIGHTS,
  },
  {
    what: 'a broken shard index',
    id: 'tiny/llama-bf16-sharded',
    damage: (d) => writeFile(join(d, 'model.safetensors.index.json'), '{"weight_map": {'),
    code: 'E_INDEX_INVALID',
    message: /model\.safetensors\.index\.json is not valid JSON/,
  },
  {
    what: 'an index naming a shard that is missing',
    id: 'tiny/llama-bf16-sharded',
    damage: (d) => rm(join(d, 'model-00002-of-00003.safetensors')),
    code: 'E_SHARD_MISSING',
    message: /names the shard model-00002-of-00003\.safetensors, which is not in the folder/,
  },
  {
    what: 'a Git LFS pointer where the weights should be',
    damage: (d) => writeFile(join(d, WEIGHTS), 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 370000\n'),
    code: 'E_LFS_POINTER',
    message: /model\.safetensors of .* is a Git LFS pointer to a 370000 byte file/,
    file: WEIGHTS,
  },
  { what: 'a folder without config.json', damage: (d) => rm(join(d, 'config.json')), code: 'E_CONFIG_MISSING', message: /has no config\.json/, file: 'config.json' },
  { what: 'a config.json that is not JSON', damage: (d) => writeFile(join(d, 'config.json'), '{"architectures": ['), code: 'E_CONFIG_INVALID', message: /config\.json of .* is not valid JSON/, file: 'config.json' },
];

describe('faults: damaged inputs', () => {
  it.each(cases)('stops with a typed error for $what', async (c) => {
    const id = c.id ?? 'tiny/llama-bf16-ft';
    const broken = await damaged(id, c.damage);
    const out = join(await tempDir(), 'out');
    const error = await appError(mergeInto(slerp(`${models}/tiny/llama-bf16`, broken), out, { shardBytes: 100_000 }));
    expect(error.code).toBe(c.code);
    expect(error.message).toMatch(c.message);
    expect(error.context.model).toBe(broken);
    if (c.file !== undefined) expect(error.context.file).toBe(c.file);
    expect(error.hint).toBeTruthy();
    expect(await looksUnfinishedOrEmpty(out)).toBe(true);
  });

  it('names the folder and the fix for a Git LFS pointer, and for a missing config.json', async () => {
    const pointer = await damaged('tiny/llama-bf16-ft', (d) => writeFile(join(d, WEIGHTS), 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 12\n'));
    const lfs = await appError(mergeInto(slerp(`${models}/tiny/llama-bf16`, pointer), join(await tempDir(), 'out')));
    expect(lfs.hint).toBe(`Run \`git lfs pull\` in ${pointer} to download the real files, then run again.`);
    const noConfig = await damaged('tiny/llama-bf16-ft', (d) => rm(join(d, 'config.json')));
    const config = await appError(mergeInto(slerp(`${models}/tiny/llama-bf16`, noConfig), join(await tempDir(), 'out')));
    expect(config.hint).toMatch(new RegExp(`Copy config\\.json of the model into ${noConfig}`));
  });

  it('says a local model folder does not exist, instead of calling it a bad Hub id', async () => {
    for (const path of ['./models/nope', `${models}/tiny/nope`, 'a/b/c', '../x']) {
      const error = await appError(resolveFolder(path, undefined));
      expect(error.code).toBe('E_FOLDER_MISSING');
      expect(error.message).toBe(`The model folder ${path} does not exist.`);
      expect(error.context.model).toBe(path);
    }
    const file = await appError(resolveFolder(join(models, 'tiny/llama-bf16/config.json'), undefined));
    expect(file).toMatchObject({ code: 'E_FOLDER_MISSING', message: expect.stringMatching(/is a file, not a folder/) });
  });
});

describe('faults: recipes and inputs that do not fit together', () => {
  const run = async (recipe: string) => appError(mergeInto(recipe, join(await tempDir(), 'out')));

  it.each([
    ['YAML that does not parse', 'merge_method: slerp\nmodels: [\n', 'E_RECIPE_YAML', /^The recipe is not valid YAML: .* at line 3, column 1/],
    ['an unknown method', 'merge_method: blend\nmodels:\n  - model: a/b\n', 'E_UNKNOWN_METHOD', /^Line 1: Unknown merge_method blend\.$/],
    ['slerp with two other models', 'merge_method: slerp\nbase_model: a/b\nmodels:\n  - model: c/d\n  - model: e/f\nparameters: {t: 0.5}\n', 'E_RECIPE_INVALID', /^Line 4: slerp takes exactly 1 model/],
  ] as const)('refuses %s with its line', async (_what, recipe, code, message) => {
    const error = await run(recipe);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('refuses a config of another architecture, naming both models', async () => {
    const error = await run(slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/mistral-f16`));
    expect(error.code).toBe('E_ARCH_MISMATCH');
    expect(error.message).toBe(`${models}/tiny/mistral-f16 is a MistralForCausalLM but ${models}/tiny/llama-bf16 is a LlamaForCausalLM: models of different architectures cannot be merged.`);
    expect(error.context.model).toBe(`${models}/tiny/mistral-f16`);
  });

  it('refuses models whose tensors do not fit, naming both', async () => {
    const error = await run(slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-narrow`));
    expect(error.code).toBe('E_SHAPE_MISMATCH');
    expect(error.message).toMatch(/llama-narrow/);
  });

  it('refuses a LoRA adapter that does not fit its model, naming the adapter', async () => {
    const error = await run(`merge_method: linear\nmodels:\n  - model: ${models}/tiny/llama-narrow+${models}/tiny/llama-lora\n    parameters: {weight: 1}\ndtype: bfloat16\n`);
    expect(error.code).toBe('E_LORA_INVALID');
    expect(error.message).toMatch(/llama-lora/);
  });
});
