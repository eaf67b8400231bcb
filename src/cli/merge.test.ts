import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TINY_LLAMA } from '../../test/fixtures/standard';
import { writeFixtureToDir, writeFixtureTree } from '../../test/fixtures/node-fixtures';
import { THORNS } from '../../test/fixtures/recipes';
import { standardRepos } from '../../test/mock-hub/fixture-repos';
import { startMockHub } from '../../test/mock-hub/server';
import { runCliEntry } from '../../test/cli-child';
import type { MockHub } from '../../test/mock-hub/server';

const CLI = new URL('./merge.ts', import.meta.url).pathname;
let root: string;
let hub: MockHub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'merge-cli-'));
  await writeFixtureTree(join(root, 'models'));
  hub = await startMockHub({ repos: await standardRepos() });
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) => runCliEntry(CLI, args, { ...process.env, HF_ENDPOINT: hub.url, ...env });

const recipe = (base: string, other: string) => `merge_method: slerp
base_model: ${base}
models:
  - model: ${other}
parameters:
  t: [0, 1]
dtype: bfloat16
`;

describe('npm run merge', () => {
  it('prints the plan and the per-layer parameters with --dry-run, writing nothing', async () => {
    await writeFile(join(root, 'a.yml'), recipe(`${root}/models/tiny/llama-bf16`, `${root}/models/tiny/llama-bf16-ft`));
    const { code, stdout } = await cli([join(root, 'a.yml'), join(root, 'dry-out'), '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Output: 39 tensors, .* in 1 shard\(s\): model\.safetensors/);
    expect(stdout).toMatch(/model\.layers\.0\.mlp\.up_proj\.weight +BF16 \[128, 64\] +slerp t=0\n/);
    expect(stdout).toMatch(/model\.layers\.3\.mlp\.up_proj\.weight +BF16 \[128, 64\] +slerp t=1\n/);
    await expect(readdir(join(root, 'dry-out'))).rejects.toThrow();
  });

  it('merges local folders and Hub repos into a model folder, and refuses a non-empty output', async () => {
    await writeFile(join(root, 'b.yml'), recipe(`${root}/models/tiny/llama-bf16`, 'tiny/llama-bf16-ft'));
    const first = await cli([join(root, 'b.yml'), join(root, 'out'), '--out-shard-size', '200kB']);
    expect(first.stderr).toContain('Done');
    expect(first.code).toBe(0);
    const files = await readdir(join(root, 'out'));
    expect(files).toContain('model.safetensors.index.json');
    expect(files).not.toContain('merge-studio-partial.json');
    expect(await readFile(join(root, 'out', 'mergekit_config.yml'), 'utf8')).toBe(recipe(`${root}/models/tiny/llama-bf16`, 'tiny/llama-bf16-ft'));
    expect(JSON.parse(await readFile(join(root, 'out', 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    expect(await readFile(join(root, 'out', 'README.md'), 'utf8')).toMatch(/base_model:\n- tiny\/llama-bf16-ft\n/);
    // Provenance in every shard's safetensors metadata: the recipe and the Hub parent's pinned revision.
    const shard = await readFile(join(root, 'out', 'model-00001-of-00002.safetensors'));
    const header = JSON.parse(shard.subarray(8, 8 + Number(shard.readBigUInt64LE(0))).toString('utf8'));
    expect(header.__metadata__.format).toBe('pt');
    expect(header.__metadata__.merge_recipe).toContain('tiny/llama-bf16-ft');
    expect(JSON.parse(header.__metadata__.merge_parents)).toContainEqual({ model: 'tiny/llama-bf16-ft', revision: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const again = await cli([join(root, 'b.yml'), join(root, 'out')]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n').at(-1)).toMatch(/^error: The output folder .*out is not empty\. .*--allow-overwrite/);
  });

  it('runs the Thorns card over Hub repos and local folders, LoRAs on stage outputs included, as it does over folders alone', async () => {
    // Two siblings and the rsLoRA baked onto thorns-right come from the Hub; the rest from local folders.
    const local = THORNS.replace(/\btiny\//g, `${root}/models/tiny/`);
    const mixed = local.replace(new RegExp(`${root}/models/(tiny/(llama-bf16-ft2|llama-bf16-ft3|llama-lora-rs))\\b`, 'g'), '$1');
    expect(mixed).toContain('lora: {path: tiny/llama-lora-rs}');
    const data = async (name: string, text: string) => {
      await writeFile(join(root, `${name}.yml`), text);
      const run = await cli([join(root, `${name}.yml`), join(root, name), '--threads', '1']);
      expect(run.stderr).toContain('Done');
      const shard = await readFile(join(root, name, 'model.safetensors'));
      return shard.subarray(8 + Number(shard.readBigUInt64LE(0)));
    };
    const [fromFolders, fromHub] = [await data('thorns-local', local), await data('thorns-hub', mixed)];
    expect(fromHub.byteLength).toBeGreaterThan(0);
    expect(Buffer.compare(fromHub, fromFolders)).toBe(0);
    // A LoRA that does not fit the stage's output is refused before any weight is read.
    const narrow = `name: narrow\nmerge_method: passthrough\nmodels:\n  - model: tiny/llama-narrow\n---\nmerge_method: passthrough\nmodels:\n  - model: narrow+tiny/llama-lora\n`;
    await writeFile(join(root, 'narrow.yml'), narrow);
    const refused = await cli([join(root, 'narrow.yml'), join(root, 'narrow-out')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/^error: LoRA tiny\/llama-lora does not fit model\.layers\.0\.self_attn\.q_proj\.weight of stage narrow: /);
    await expect(readdir(join(root, 'narrow-out'))).rejects.toThrow();
  });

  it('ends with one clear line for a bad recipe, a missing Hub repo and a gated one', async () => {
    await writeFile(join(root, 'bad.yml'), 'merge_method: slerp\nbase_model: a/b\nmodels:\n  - model: c/d\n  - model: e/f\nparameters: {t: 0.5}\n');
    const bad = await cli([join(root, 'bad.yml'), join(root, 'o1')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(/^error: Line 4: slerp takes exactly 1 model\(s\)/);
    await writeFile(join(root, 'missing.yml'), recipe('nobody/missing', 'tiny/llama-bf16'));
    const missing = await cli([join(root, 'missing.yml'), join(root, 'o2')]);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^error: nobody\/missing was not found, or it is private/);
    await writeFile(join(root, 'gated.yml'), recipe('gated/llama-bf16', 'tiny/llama-bf16'));
    const gated = await cli([join(root, 'gated.yml'), join(root, 'o3')]);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/error: gated\/llama-bf16 is gated/);
    expect(gated.stderr).not.toContain('hf_mock');
  });

  it('writes a GGUF instead of shards with --format gguf, and refuses a model it cannot export before merging', async () => {
    const spec = { ...TINY_LLAMA, vocab: 320, tokenizer: 'llama2' as const };
    await writeFixtureToDir(join(root, 'models', 'gguf', 'a'), { id: 'gguf/a', kind: 'model', spec });
    await writeFixtureToDir(join(root, 'models', 'gguf', 'b'), { id: 'gguf/b', kind: 'model', spec: { ...spec, derivedFrom: { seed: 5, scale: 0.3 } } });
    await writeFile(join(root, 'g.yml'), recipe(`${root}/models/gguf/a`, `${root}/models/gguf/b`));
    const dry = await cli([join(root, 'g.yml'), join(root, 'g-out'), '--format', 'gguf', '--gguf-type', 'q8_0', '--dry-run']);
    expect(dry.stdout).toMatch(/GGUF q8_0: g-out\.gguf \(\d+ kB\)/);
    const run = await cli([join(root, 'g.yml'), join(root, 'g-out'), '--format', 'gguf', '--gguf-type', 'q8_0']);
    expect(run.code).toBe(0);
    const files = await readdir(join(root, 'g-out'));
    expect(files).toContain('g-out.gguf');
    expect(files.filter((f) => f.endsWith('.safetensors') || f.startsWith('merge-studio-'))).toEqual([]);
    expect((await readFile(join(root, 'g-out', 'g-out.gguf'))).subarray(0, 4).toString('latin1')).toBe('GGUF');
    // The standard fixtures' placeholder tokenizer has no merges: refused before anything is written.
    const refused = await cli([join(root, 'b.yml'), join(root, 'g-refused'), '--format', 'both']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/^error: Cannot export GGUF: tokenizer\.json has no merges/);
    await expect(readdir(join(root, 'g-refused'))).rejects.toThrow();
  });
});
