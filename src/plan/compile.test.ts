import { describe, expect, it } from 'vitest';

import { modelBytes, modelTensors } from '../../test/fixtures/models';
import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { FRANKEN, GRADIENT_SLERP, LZLV } from '../../test/fixtures/recipes';
import type { ModelSpec } from '../../test/fixtures/models';
import { TINY_LLAMA, fixtureById, writeFixture } from '../../test/fixtures/standard';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import type { Model } from '../io/model/types';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { parseRecipe } from '../recipe/parse';
import { interpolate } from '../recipe/settings';
import { compilePlan, layerIndex } from './compile';
import type { CompileInput } from './compile';
import type { LoraExpr, MergeExpr, PlannedTensor, ReadExpr } from './types';


async function load(id: string, as = id, spec?: ModelSpec): Promise<Model> {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, spec === undefined ? fixtureById(id) : { id, kind: 'model', spec });
  return loadModel(memoryFolder(as, dir.files));
}

async function compile(text: string, extra: Partial<CompileInput> = {}, overrides: Record<string, Model> = {}) {
  const recipe = parseRecipe(text);
  const inputs = await loadFixtureInputs(recipe, Object.fromEntries(Object.entries(overrides).map(([path, model]) => [path, model.folder])));
  for (const [path, model] of Object.entries(overrides)) {
    for (const key of inputs.models.keys()) if (key === path || key.startsWith(`${path}@`)) inputs.models.set(key, model);
  }
  return compilePlan({ recipe, recipeText: text, models: inputs.models, adapters: inputs.adapters, ...extra });
}

const tensor = (plan: { tensors: readonly PlannedTensor[] }, name: string) => plan.tensors.find((t) => t.name === name)!;

describe('compilePlan', () => {
  it('plans a gradient SLERP: every tensor, its per-layer t, shards and the files around them', async () => {
    const plan = await compile(GRADIENT_SLERP, { outputName: 'my-merge' });
    expect(plan.summary.tensorCount).toBe(3 + 9 * 4);
    expect(plan.shards.map((s) => s.file)).toEqual(['model.safetensors']);
    for (let layer = 0; layer < 4; layer++) {
      const attn = tensor(plan, `model.layers.${layer}.self_attn.q_proj.weight`).expr as MergeExpr;
      expect(attn.kind).toBe('merge');
      expect(attn.globals['t']).toBeCloseTo(interpolate([0, 0.5, 0.3, 0.7, 1], layer / 3), 12);
      expect((tensor(plan, `model.layers.${layer}.mlp.up_proj.weight`).expr as MergeExpr).globals['t']).toBeCloseTo(interpolate([1, 0.5, 0.7, 0.3, 0], layer / 3), 12);
      expect((tensor(plan, `model.layers.${layer}.input_layernorm.weight`).expr as MergeExpr).globals['t']).toBe(0.5);
    }
    const embed = tensor(plan, 'model.embed_tokens.weight').expr as MergeExpr;
    expect(embed.baseIndex).toBe(0);
    expect(embed.inputs.map((i) => i.kind === 'read' && i.input)).toEqual(['tiny/llama-bf16', 'tiny/llama-bf16-ft']);
    expect(embed.dtype).toBe('BF16');
    expect(plan.extraFiles.map((f) => f.name)).toEqual([
      'config.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'generation_config.json',
      'mergekit_config.yml',
      'README.md',
    ]);
    const config = plan.extraFiles[0]!;
    expect(config.kind === 'text' && JSON.parse(config.text).torch_dtype).toBe('bfloat16');
    const yml = plan.extraFiles.find((f) => f.name === 'mergekit_config.yml')!;
    expect(yml.kind === 'text' && yml.text).toBe(GRADIENT_SLERP);
    const card = plan.extraFiles.find((f) => f.name === 'README.md')!;
    expect(card.kind === 'text' && card.text).toMatch(/^---\nbase_model:\n- tiny\/llama-bf16\n- tiny\/llama-bf16-ft\n/);
    expect(card.kind === 'text' && card.text).toContain('# my-merge');
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan); // plain, serialisable data
  });

  it('shards like mergekit and estimates sizes', async () => {
    const plan = await compile(GRADIENT_SLERP, { maxShardBytes: 100_000 });
    expect(plan.shards.length).toBeGreaterThan(2);
    expect(plan.shards[0]!.file).toBe(`model-00001-of-0000${plan.shards.length}.safetensors`);
    expect(plan.tensors.every((t, i, all) => i === 0 || all[i - 1]!.shard <= t.shard)).toBe(true);
    expect(plan.summary.inputBytes).toBe(2 * modelBytes(TINY_LLAMA)); // each of the two models read once
    expect(plan.summary.peakMemoryBytes).toBeGreaterThan(0);
  });

  it('nests multi-stage recipes (lzlv-style) into one expression tree per tensor', async () => {
    const text = LZLV;
    const plan = await compile(text);
    const final = tensor(plan, 'model.layers.3.mlp.down_proj.weight').expr as MergeExpr;
    expect(final.stage).toBeUndefined();
    expect(final.inputs.map((i) => i.kind === 'merge' && i.stage)).toEqual(['component-2', 'component-1']);
    const c1 = final.inputs[1] as MergeExpr;
    expect(c1.globals['t']).toBeCloseTo(0.5, 12); // last layer of 4 → last gradient value
    expect(c1.inputs.map((i) => i.kind === 'read' && i.input)).toEqual(['tiny/llama-bf16-ft', 'tiny/llama-bf16']);
    expect(c1.baseIndex).toBe(1);
    expect(plan.inputs.map((i) => i.key).sort()).toEqual(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2']);
  });

  it('bakes model+lora inputs: W + (alpha/r)·B·A for the adapted modules only', async () => {
    const plan = await compile(`merge_method: slerp
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16-ft+tiny/llama-lora
parameters:
  t: 0.5
`);
    const q = (tensor(plan, 'model.layers.1.self_attn.q_proj.weight').expr as MergeExpr).inputs[0] as LoraExpr;
    expect(q.kind).toBe('lora');
    expect(q.scale).toBe(2);
    expect(q.a.tensor).toBe('base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight');
    expect(q.weight.kind === 'read' && q.weight.input).toBe('tiny/llama-bf16-ft');
    const k = (tensor(plan, 'model.layers.1.self_attn.k_proj.weight').expr as MergeExpr).inputs[0]!;
    expect(k.kind).toBe('read');
  });

  it('copies integer tensors from the base instead of merging them', async () => {
    const plan = await compile('merge_method: linear\nmodels:\n  - model: tiny/edge-dtypes\n    parameters: {weight: 0.5}\n  - model: tiny/edge-dtypes@v2\n    parameters: {weight: 0.5}\n', {}, {
      'tiny/edge-dtypes': await load('tiny/edge-dtypes'),
    });
    expect(tensor(plan, 'ints.i64').expr.kind).toBe('read');
    expect(tensor(plan, 'fp8.e4m3').expr.kind).toBe('read');
    expect(tensor(plan, 'odd.f16').expr.kind).toBe('merge');
  });

  it('explains shape, architecture, LoRA and missing-tensor problems before anything runs', async () => {
    const wide = await load('wide', 'other/wide', { ...TINY_LLAMA, hidden: 32, intermediate: 64 });
    await expect(compile('merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: other/wide\nparameters: {t: 0.5}\n', {}, { 'other/wide': wide })).rejects.toMatchObject({
      code: 'E_SHAPE_MISMATCH',
      context: { tensor: 'model.embed_tokens.weight' },
      hint: expect.stringMatching(/do not share an architecture/),
    });
    await expect(compile('merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: tiny/qwen2-bf16\nparameters: {t: 0.5}\n')).rejects.toMatchObject({
      code: 'E_ARCH_MISMATCH',
      message: /Qwen2ForCausalLM/,
    });
    await expect(compile('merge_method: slerp\nbase_model: other/wide\nmodels:\n  - model: other/wide@x+tiny/llama-lora\nparameters: {t: 0.5}\n', {}, { 'other/wide': wide })).rejects.toMatchObject({
      code: 'E_LORA_INVALID',
      message: /does not fit model.layers.0.self_attn.q_proj.weight/,
    });
    const missing = await load('tiny/llama-bf16');
    const pruned = { ...missing, tensors: new Map([...missing.tensors].filter(([n]) => n !== 'model.norm.weight')) };
    await expect(compile('merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: other/pruned\nparameters: {t: 0.5}\n', {}, { 'other/pruned': pruned })).rejects.toMatchObject({
      code: 'E_TENSOR_MISSING',
      context: { model: 'tiny/llama-bf16', tensor: 'model.norm.weight' },
    });
  });

  it('stacks layers from slices: renumbered output layers, embeddings from the first slice, head from the last', async () => {
    const plan = await compile(FRANKEN);
    const layerNames = (layer: number) => plan.tensors.filter((t) => layerIndex(t.name) === layer).map((t) => t.name);
    expect(plan.summary.tensorCount).toBe(3 + 9 * 6);
    expect(layerNames(5)).toHaveLength(9);
    expect(layerNames(6)).toHaveLength(0);
    // Output layers 0-2 are layers 0-2 of the base; 3-5 are layers 1-3 of the fine-tune.
    const source = (name: string) => tensor(plan, name).expr as ReadExpr;
    expect(source('model.layers.2.mlp.up_proj.weight')).toMatchObject({ input: 'tiny/llama-bf16', tensor: 'model.layers.2.mlp.up_proj.weight' });
    expect(source('model.layers.3.mlp.up_proj.weight')).toMatchObject({ input: 'tiny/llama-bf16-ft', tensor: 'model.layers.1.mlp.up_proj.weight' });
    expect(source('model.layers.5.self_attn.q_proj.weight')).toMatchObject({ input: 'tiny/llama-bf16-ft', tensor: 'model.layers.3.self_attn.q_proj.weight' });
    expect(source('model.embed_tokens.weight').input).toBe('tiny/llama-bf16');
    expect(source('model.norm.weight').input).toBe('tiny/llama-bf16-ft');
    const config = JSON.parse((plan.extraFiles.find((f) => f.name === 'config.json') as { text: string }).text) as Record<string, unknown>;
    expect(config['num_hidden_layers']).toBe(6);
  });

  it('restarts gradients in every slice, and reads each slice source at its own layer', async () => {
    const plan = await compile(`merge_method: slerp
base_model: tiny/llama-bf16
slices:
  - sources:
      - model: tiny/llama-bf16
        layer_range: [0, 2]
      - model: tiny/llama-bf16-ft
        layer_range: [2, 4]
    parameters:
      t: [0, 1]
  - sources:
      - model: tiny/llama-bf16
        layer_range: [1, 4]
      - model: tiny/llama-bf16-ft
        layer_range: [1, 4]
parameters:
  t: [0.2, 0.8]
`);
    const merge = (name: string) => tensor(plan, name).expr as MergeExpr;
    const t = (layer: number) => merge(`model.layers.${layer}.mlp.up_proj.weight`).globals['t'];
    expect([0, 1, 2, 3, 4].map(t)).toEqual([0, 1, 0.2, 0.5, 0.8].map((v) => expect.closeTo(v, 12)));
    expect((merge('model.layers.1.mlp.up_proj.weight').inputs as ReadExpr[]).map((r) => r.tensor)).toEqual(['model.layers.1.mlp.up_proj.weight', 'model.layers.3.mlp.up_proj.weight']);
    // Slice parameters win over the top level; embeddings come from the first slice at t = 0.
    expect(merge('model.embed_tokens.weight').globals['t']).toBe(0);
    expect(merge('model.norm.weight').globals['t']).toBe(0.2);
    expect(JSON.parse((plan.extraFiles.find((f) => f.name === 'config.json') as { text: string }).text)['num_hidden_layers']).toBe(5);
  });

  it('refuses a layer_range outside the model, naming the model and its layer count', async () => {
    await expect(compile('merge_method: passthrough\nslices:\n  - sources:\n      - model: tiny/llama-bf16\n        layer_range: [2, 6]\n')).rejects.toMatchObject({
      code: 'E_RECIPE_INVALID',
      message: expect.stringMatching(/layer_range \[2, 6\] is outside tiny\/llama-bf16, which has 4 layers/),
    });
    const deep = await load('deep', 'other/deep', { ...TINY_LLAMA, layers: 6 });
    await expect(compile('merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: other/deep\nparameters: {t: 0.5}\n', {}, { 'other/deep': deep })).rejects.toMatchObject({
      code: 'E_SHAPE_MISMATCH',
      message: expect.stringMatching(/tiny\/llama-bf16 contributes 4 layers but other\/deep contributes 6/),
    });
  });

  it('runs a single module like slices, and refuses several modules', async () => {
    const plan = await compile(`merge_method: passthrough
modules:
  text:
    slices:
      - sources:
          - model: tiny/llama-bf16
            layer_range: [0, 1]
      - sources:
          - model: tiny/llama-bf16
            layer_range: [0, 1]
`);
    expect((tensor(plan, 'model.layers.1.mlp.up_proj.weight').expr as ReadExpr).tensor).toBe('model.layers.0.mlp.up_proj.weight');
    const two = 'merge_method: passthrough\nmodules:\n  a:\n    models:\n      - model: tiny/llama-bf16\n  b:\n    models:\n      - model: tiny/llama-bf16\n';
    await expect(compile(two)).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/2 modules \(a, b\)/) });
  });

  it('crops embeddings of different vocabularies as mergekit does, per method, and says so', async () => {
    const small = await load('small', 'other/small', { ...TINY_LLAMA, vocab: TINY_LLAMA.vocab - 8, derivedFrom: { seed: 2, scale: 0.25 } });
    const overrides = { 'other/small': small };
    const linear = await compile('merge_method: linear\nmodels:\n  - model: tiny/llama-bf16\n    parameters: {weight: 0.5}\n  - model: other/small\n    parameters: {weight: 0.5}\n', {}, overrides);
    const embed = tensor(linear, 'model.embed_tokens.weight');
    expect(embed.shape).toEqual([TINY_LLAMA.vocab - 8, TINY_LLAMA.hidden]);
    expect(((embed.expr as MergeExpr).inputs as ReadExpr[]).map((r) => r.shape[0])).toEqual([TINY_LLAMA.vocab - 8, TINY_LLAMA.vocab - 8]);
    expect(linear.warnings.join('\n')).toMatch(/different vocabularies/);
    expect(JSON.parse((linear.extraFiles.find((f) => f.name === 'config.json') as { text: string }).text)['vocab_size']).toBe(TINY_LLAMA.vocab - 8);
    // The task-vector family keeps the base's rows: a smaller other model is refused, a smaller base crops the others.
    await expect(compile('merge_method: task_arithmetic\nbase_model: tiny/llama-bf16\nmodels:\n  - model: other/small\n    parameters: {weight: 0.5}\n', {}, overrides)).rejects.toMatchObject({
      code: 'E_SHAPE_MISMATCH',
      message: expect.stringMatching(/fewer than the base/),
    });
    const ta = await compile('merge_method: task_arithmetic\nbase_model: other/small\nmodels:\n  - model: tiny/llama-bf16\n    parameters: {weight: 0.5}\n', {}, overrides);
    expect(tensor(ta, 'model.embed_tokens.weight').shape[0]).toBe(TINY_LLAMA.vocab - 8);
    await expect(compile('merge_method: nearswap\nbase_model: tiny/llama-bf16\nmodels:\n  - model: other/small\nparameters: {t: 0.001}\n', {}, overrides)).rejects.toMatchObject({
      code: 'E_SHAPE_MISMATCH',
      hint: expect.stringMatching(/different vocabulary sizes, which nearswap cannot merge/),
    });
  });

  it('resolves chat_template: built-in names and Jinja text; anything else is refused with what is accepted', async () => {
    const plan = await compile(`${GRADIENT_SLERP}chat_template: llama3\n`);
    const file = plan.extraFiles.find((f) => f.name === 'tokenizer_config.json');
    expect(file).toMatchObject({ kind: 'copy', jsonPatch: { chat_template: expect.stringContaining('<|start_header_id|>') } });
    const jinja = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    expect((await compile(`${GRADIENT_SLERP}chat_template: "${jinja}"\n`)).extraFiles.find((f) => f.name === 'tokenizer_config.json')).toMatchObject({ jsonPatch: { chat_template: jinja } });
    await expect(compile(`${GRADIENT_SLERP}chat_template: vicuna\n`)).rejects.toMatchObject({ code: 'E_RECIPE_INVALID', hint: expect.stringMatching(/chatml, llama3, alpaca, mistral/) });
    await expect(compile(`${GRADIENT_SLERP}chat_template: auto\n`)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });

  it('finds layer indexes in common naming schemes', () => {
    expect(layerIndex('model.layers.12.mlp.up_proj.weight')).toBe(12);
    expect(layerIndex('transformer.h.3.attn.c_attn.weight')).toBe(3);
    expect(layerIndex('model.embed_tokens.weight')).toBeUndefined();
    expect(modelTensors(TINY_LLAMA).filter((t) => layerIndex(t.name) === 3)).toHaveLength(9);
  });
});
