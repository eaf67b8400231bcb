/**
 * Issue 15's "done when", through the real CLI: `npm run merge -- violet_twilight.yml OUT --format gguf --gguf-type T`
 * for q8_0, f16 and bf16, with the Violet-Twilight-shaped example recipe (two LoRA-tuned siblings, gradient SLERP)
 * pointed at tiny Mistral-shaped fixtures. llama.cpp loads each GGUF, and its next-token log-probabilities equal a
 * float64 forward pass of the same command's safetensors output within the tolerance of the GGUF type.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Llama } from 'node-llama-cpp';
import { LlamaLogLevel, getLlama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCliEntry } from '../../test/cli-child';
import type { CliResult } from '../../test/cli-child';
import type { ModelSpec } from '../../test/fixtures/models';
import { writeFixtureTree } from '../../test/fixtures/node-fixtures';
import type { Fixture } from '../../test/fixtures/standard';
import { GGUF_MARKER } from '../engine/gguf-output';
import { GGUF_TOLERANCE, ggufLogProbs, maxRelative, plainLlamaConfig, safetensorsWeights } from '../engine/gguf-check.test-support';
import { llamaLogits, logSoftmax } from '../io/gguf/llama-forward.test-support';
import { PARTIAL_MARKER } from '../io/safetensors/writer';

const CLI = new URL('./merge.ts', import.meta.url).pathname;
const EXAMPLE = new URL('../recipe/examples/g-violet-twilight.yml', import.meta.url);

const BASE: ModelSpec = { arch: 'mistral', dtype: 'BF16', layers: 4, hidden: 64, intermediate: 128, heads: 4, kvHeads: 2, vocab: 320, tokenizer: 'llama2', seed: 41 };
const FIXTURES: readonly Fixture[] = [
  { id: 'tiny/nemo-base', kind: 'model', spec: BASE },
  { id: 'tiny/nemo-instruct', kind: 'model', spec: { ...BASE, derivedFrom: { seed: 42, scale: 0.25 } } },
  { id: 'tiny/azure-lora', kind: 'lora', spec: { base: BASE, baseId: 'tiny/nemo-base', rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'up_proj'], seed: 43, dtype: 'F32' } },
  { id: 'tiny/crimson-lora', kind: 'lora', spec: { base: BASE, baseId: 'tiny/nemo-instruct', rank: 4, alpha: 16, targets: ['k_proj', 'o_proj', 'down_proj'], seed: 44, dtype: 'BF16' } },
];
const PROMPT = [5, 17, 200, 42, 99, 311, 7, 64];

let root: string;
let recipeFile: string;
let llama: Llama;
let reference: Float64Array[];

function cli(args: readonly string[]): Promise<CliResult> {
  return runCliEntry(CLI, args, process.env);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'merge-cli-gguf-'));
  const models = await writeFixtureTree(join(root, 'models'), FIXTURES);
  // The example recipe, its Hub ids replaced by the fixtures' folders.
  const recipe = (await readFile(EXAMPLE, 'utf8'))
    .replaceAll('mistralai/Mistral-Nemo-Base-2407', `${models}/tiny/nemo-base`)
    .replaceAll('mistralai/Mistral-Nemo-Instruct-2407', `${models}/tiny/nemo-instruct`)
    .replaceAll('example/azure-dusk-lora', `${models}/tiny/azure-lora`)
    .replaceAll('example/crimson-dawn-lora', `${models}/tiny/crimson-lora`);
  expect(recipe).not.toMatch(/mistralai|example\//);
  recipeFile = join(root, 'violet_twilight.yml');
  await writeFile(recipeFile, recipe);
  const safetensors = await cli([recipeFile, join(root, 'safetensors')]);
  expect(safetensors.code, safetensors.stderr).toBe(0);
  reference = llamaLogits(plainLlamaConfig(BASE), safetensorsWeights(new Uint8Array(await readFile(join(root, 'safetensors', 'model.safetensors')))), PROMPT).map(logSoftmax);
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
}, 120_000);

afterAll(async () => {
  await llama?.dispose();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('npm run merge -- violet_twilight.yml OUT --format gguf', () => {
  it.each(['q8_0', 'f16', 'bf16'] as const)('--gguf-type %s writes one GGUF that llama.cpp runs with logits matching the float64 reference', async (type) => {
    const out = join(root, `violet-${type}`);
    const { code, stderr } = await cli([recipeFile, out, '--format', 'gguf', '--gguf-type', type]);
    expect(code, stderr).toBe(0);
    const files = await readdir(out);
    // GGUF only: the model file named after the folder, the card and config beside it, no safetensors, no marker.
    expect(files).toContain(`violet-${type}.gguf`);
    expect(files.filter((f) => f.endsWith('.safetensors') || f === GGUF_MARKER || f === PARTIAL_MARKER)).toEqual([]);
    const logProbs = await ggufLogProbs(llama, join(out, `violet-${type}.gguf`), PROMPT, BASE.vocab);
    const relative = maxRelative(logProbs, reference);
    console.info(`violet twilight ${type}: max |Δ log p| / spread ${relative.toExponential(2)}`);
    expect(relative).toBeLessThan(GGUF_TOLERANCE[type]);
  });
});
