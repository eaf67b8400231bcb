/**
 * GGUF export checked by llama.cpp itself (node-llama-cpp's prebuilt CPU build): tiny Llama 2-, Llama 3-, Llama 3.2- (tied
 * embeddings, rope scaling) and Mistral-shaped siblings are merged with the GGUF written in the same pass as the safetensors; llama.cpp loads each
 * GGUF, its tokenization equals tokenizer.json's (by @huggingface/tokenizers), and its next-token log-probabilities
 * equal a float64 forward pass of the merged safetensors within a tolerance per GGUF type.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Tokenizer } from '@huggingface/tokenizers';
import type { Llama } from 'node-llama-cpp';
import { LlamaLogLevel, getLlama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { writeModel } from '../../test/fixtures/models';
import type { ModelSpec } from '../../test/fixtures/models';
import { llamaLogits, logSoftmax } from '../io/gguf/llama-forward.test-support';
import type { GgufOutputType } from '../io/gguf/types';
import { memoryFolder } from '../io/model/memory-folder';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { NodeDirectorySink } from '../io/sink/node-directory-sink';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';
import { GGUF_TOLERANCE as TOLERANCE, ggufLogProbs, maxRelative, plainLlamaConfig, safetensorsWeights } from './gguf-check.test-support';
import { planGgufForMerge } from './gguf-output';
import { runPlan } from './run-plan';

const SHAPE = { dtype: 'BF16', layers: 2, hidden: 64, intermediate: 128, heads: 4, vocab: 320 } as const;
const FAMILIES: readonly { readonly name: string; readonly spec: ModelSpec }[] = [
  { name: 'Llama 2', spec: { ...SHAPE, arch: 'llama', kvHeads: 4, tokenizer: 'llama2', seed: 31 } },
  { name: 'Llama 3', spec: { ...SHAPE, arch: 'llama', kvHeads: 2, tokenizer: 'llama3', ropeTheta: 500000, seed: 32 } },
  {
    name: 'Llama 3.2 (tied embeddings, llama3 rope scaling)',
    spec: { ...SHAPE, arch: 'llama', kvHeads: 2, tokenizer: 'llama3', ropeTheta: 500000, seed: 34, tieEmbeddings: true, ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } },
  },
  { name: 'Mistral (with tokenizer.model)', spec: { ...SHAPE, arch: 'mistral', kvHeads: 1, tokenizer: 'llama2', sentencePiece: true, seed: 33 } },
];

const RECIPE = `merge_method: linear
models:
  - model: base
    parameters: {weight: 0.6}
  - model: sibling
    parameters: {weight: 0.4}
dtype: bfloat16
`;

const TEXTS = ['Hello world! How are you today?', 'The lazy dog merged 2024 layers; héllo 日本 ok', '  spaces   and\ttabs\nnew line', 'unseenword zyx'];

let llama: Llama;
let root: string;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  root = await mkdtemp(join(tmpdir(), 'merge-studio-gguf-'));
});

afterAll(async () => {
  await llama?.dispose();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

async function files(spec: ModelSpec): Promise<Map<string, Uint8Array>> {
  const dir = new MemoryDirectorySink();
  await writeModel(dir, spec);
  return dir.files;
}

/** Merges base + sibling into `out`, writing safetensors (unless `only`) and a GGUF of `type`. */
async function merge(spec: ModelSpec, type: GgufOutputType, out: string, only: boolean, maxFileBytes?: number): Promise<string> {
  const recipe = parseRecipe(RECIPE);
  const overrides = { base: memoryFolder('base', await files(spec)), sibling: memoryFolder('sibling', await files({ ...spec, derivedFrom: { seed: spec.seed + 100, scale: 0.5 } })) };
  const inputs = await loadFixtureInputs(recipe, overrides);
  const plan = compilePlan({ recipe, recipeText: RECIPE, models: inputs.models, adapters: inputs.adapters });
  const open = (input: string, file: string) => (inputs.folders.get(input) as (typeof overrides)['base']).open(file);
  const gguf = await planGgufForMerge(plan, open, { type, name: 'merged', ...(maxFileBytes === undefined ? {} : { maxFileBytes }) });
  await runPlan(plan, inputs.folders, await NodeDirectorySink.open(out, { create: true }), { gguf: { plan: gguf, only } });
  return join(out, gguf.files[0]!.file);
}

describe.each(FAMILIES)('GGUF export of a $name-shaped merge, checked by llama.cpp', ({ spec }) => {
  let reference: Float64Array[];
  const prompt = [5, 17, 200, 42, 99, 311, 7, 64];
  let safetensorsDir: string;

  beforeAll(async () => {
    safetensorsDir = join(root, `${spec.seed}-both`);
    await merge(spec, 'f32', safetensorsDir, false);
    const scaling = spec.ropeScaling === undefined ? {} : { llama3Scaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 64 } };
    const plainCfg = plainLlamaConfig(spec);
    const cfg = { ...plainCfg, ...scaling };
    const merged = safetensorsWeights(new Uint8Array(await readFile(join(safetensorsDir, 'model.safetensors'))));
    reference = llamaLogits(cfg, merged, prompt).map(logSoftmax);
    if (spec.ropeScaling !== undefined) {
      // The scaling must matter at these positions, or the test would not notice it missing.
      const plain = llamaLogits(plainCfg, merged, prompt).map(logSoftmax);
      expect(maxRelative(plain, reference)).toBeGreaterThan(100 * TOLERANCE.f32);
    }
  });

  it('tokenizes like tokenizer.json', async () => {
    const model = await llama.loadModel({ modelPath: join(safetensorsDir, 'merged.gguf'), gpuLayers: 0 });
    try {
      const json = JSON.parse(await readFile(join(safetensorsDir, 'tokenizer.json'), 'utf8')) as object;
      const config = JSON.parse(await readFile(join(safetensorsDir, 'tokenizer_config.json'), 'utf8')) as object;
      const hf = new Tokenizer(json as never, config as never);
      for (const text of TEXTS) expect([...model.tokenize(text, false)].map(Number), text).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
      if (spec.tokenizer === 'llama2') {
        // The vocabulary came from tokenizer.model when there is one (its control pieces keep score 0), else from
        // tokenizer.json (control tokens score -1000).
        const scores = (model.fileInfo.metadata as { tokenizer?: { ggml?: { scores?: readonly number[] } } }).tokenizer?.ggml?.scores;
        expect(scores?.[1]).toBe(spec.sentencePiece === true ? 0 : -1000);
      }
    } finally {
      await model.dispose();
    }
  });

  it.each(spec.seed === 31 ? (['f32', 'f16', 'bf16', 'q8_0', 'f32 in gguf-split parts'] as const) : (['f32', 'f16', 'bf16', 'q8_0'] as const))('runs the %s GGUF with logits matching the float64 reference', async (label) => {
    const type = label === 'f32 in gguf-split parts' ? 'f32' : label;
    const path =
      label === 'f32'
        ? join(safetensorsDir, 'merged.gguf')
        : await merge(spec, type, join(root, `${spec.seed}-${label.replace(/ /g, '-')}`), true, label === type ? undefined : 100_000);
    if (label !== type) expect(path).toMatch(/merged-00001-of-0000[3-9]\.gguf$/);
    const logProbs = await ggufLogProbs(llama, path, prompt, spec.vocab);
    const relative = maxRelative(logProbs, reference);
    console.info(`${spec.arch}/${spec.tokenizer}${spec.ropeScaling === undefined ? '' : '/rope-llama3'} ${label}: max |Δ log p| / spread ${relative.toExponential(2)}`);
    expect(relative).toBeLessThan(TOLERANCE[type]);
  });
});
