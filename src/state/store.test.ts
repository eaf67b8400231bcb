import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exportRecipe } from '../recipe/export';
import { parseRecipe } from '../recipe/parse';
import { GRADIENT_SLERP, LZLV } from '../../test/fixtures/recipes';
import { standardRepos } from '../../test/mock-hub/fixture-repos';
import { MOCK_TOKEN, startMockHub } from '../../test/mock-hub/server';
import type { MockHub } from '../../test/mock-hub/server';
import { memoryStorage } from '../../test/memory-storage';
import { decodePermalink, encodePermalink } from './permalink';
import { loraProblem } from './compatibility';
import { createAppStore } from './store';
import { STORAGE_KEYS } from './view-slice';

/** Builds `slerp(tiny/llama-bf16 as base, tiny/llama-bf16-ft)` by canvas actions. */
function buildSlerp(store: ReturnType<typeof createAppStore>) {
  const s = store.getState();
  s.addModel('tiny/llama-bf16');
  s.addModel('tiny/llama-bf16-ft');
  const stage = s.addStage('slerp');
  expect(s.wire({ kind: 'model', ref: 'tiny/llama-bf16' }, stage, 'base')).toBeUndefined();
  expect(store.getState().wire({ kind: 'model', ref: 'tiny/llama-bf16-ft' }, stage, 'model')).toBeUndefined();
  return stage;
}

describe('recipe slice: YAML and canvas in sync', () => {
  it('canvas edits write YAML that parses back to the same stages', () => {
    const store = createAppStore();
    const stage = buildSlerp(store);
    store.getState().setParameter(stage, 't', [0, 0.5, 1]);
    const { yamlText, recipe } = store.getState();
    expect(yamlText).toBe(exportRecipe(recipe));
    const reparsed = parseRecipe(yamlText);
    expect(reparsed.stages).toEqual(recipe.stages);
    expect(reparsed.stages[0]?.baseModel).toEqual({ path: 'tiny/llama-bf16' });
    expect(reparsed.stages[0]?.parameters['t']).toEqual([0, 0.5, 1]);
    expect(store.getState().looseModels).toEqual([]);
  });

  it('LoRA attach/detach and a revision pin go through the store into the YAML, and undo reverts them', () => {
    const store = createAppStore();
    buildSlerp(store);
    store.getState().attachLora('tiny/llama-bf16-ft', 'tiny/llama-lora');
    expect(store.getState().yamlText).toContain('tiny/llama-bf16-ft+tiny/llama-lora');
    expect(parseRecipe(store.getState().yamlText).stages[0]?.models?.[0]?.model).toEqual({ path: 'tiny/llama-bf16-ft', lora: { path: 'tiny/llama-lora' } });
    store.getState().setRevision('tiny/llama-bf16', 'main');
    expect(store.getState().recipe.stages[0]?.baseModel).toEqual({ path: 'tiny/llama-bf16', revision: 'main' });
    store.getState().undo();
    expect(store.getState().recipe.stages[0]?.baseModel).toEqual({ path: 'tiny/llama-bf16' });
    store.getState().detachLora('tiny/llama-bf16-ft+tiny/llama-lora');
    expect(store.getState().yamlText).not.toContain('+');
    expect(store.getState().looseModels).toEqual([]);
  });

  it('YAML text replaces the recipe; a parse error keeps the last good one and says where', () => {
    const store = createAppStore();
    expect(store.getState().setYaml(LZLV)).toBe(true);
    const good = store.getState().recipe;
    expect(good.stages.map((s) => s.name)).toEqual(['component-1', 'component-2', undefined]);
    expect(good.final).toBe(2);
    expect(good.order.indexOf(2)).toBeGreaterThan(Math.max(good.order.indexOf(0), good.order.indexOf(1)));
    const broken = LZLV.replace('  t: 0.5', '  t: [0.5');
    expect(store.getState().setYaml(broken)).toBe(false);
    const { yamlError, yamlText, recipe } = store.getState();
    expect(yamlText).toBe(broken);
    expect(recipe).toBe(good);
    expect(yamlError?.code).toBe('E_RECIPE_YAML');
    expect(yamlError?.context.line).toBeGreaterThan(0);
    expect(yamlError?.context.column).toBeGreaterThan(0);
  });

  it('an unknown method is reported with its line', () => {
    const store = createAppStore();
    store.getState().setYaml(GRADIENT_SLERP);
    store.getState().setYaml(GRADIENT_SLERP.replace('merge_method: slerp', 'merge_method: slurp'));
    const error = store.getState().yamlError;
    expect(error?.code).toBe('E_UNKNOWN_METHOD');
    expect(error?.context.line).toBe(1);
    expect(store.getState().recipe.stages[0]?.mergeMethod).toBe('slerp');
  });

  it('wiring a stage into another names it and orders the stages', () => {
    const store = createAppStore();
    const first = buildSlerp(store);
    const s = store.getState();
    s.addModel('tiny/llama-bf16-ft2');
    const second = s.addStage('linear');
    expect(store.getState().wire({ kind: 'stage', index: first }, second, 'model')).toBeUndefined();
    expect(store.getState().wire({ kind: 'model', ref: 'tiny/llama-bf16-ft2' }, second, 'model')).toBeUndefined();
    const { recipe } = store.getState();
    expect(recipe.stages[first]?.name).toBeDefined();
    expect(parseRecipe(store.getState().yamlText).stages).toEqual(recipe.stages);
    // A loop is refused with the reason.
    const reason = store.getState().wire({ kind: 'stage', index: second }, first, 'model');
    expect(reason).toMatch(/loop|takes 1 model/);
    expect(store.getState().recipe).toBe(recipe);
  });
});

describe('recipe slice: undo and redo', () => {
  it('steps back and forth through edits; a new edit clears redo', () => {
    const store = createAppStore();
    const stage = buildSlerp(store);
    const wired = store.getState().yamlText;
    store.getState().setParameter(stage, 't', 0.3);
    const withT = store.getState().yamlText;
    expect(withT).not.toBe(wired);
    store.getState().undo();
    expect(store.getState().yamlText).toBe(wired);
    store.getState().redo();
    expect(store.getState().yamlText).toBe(withT);
    // Back to the empty canvas: six steps (two models, the stage, two wires, the parameter).
    for (let i = 0; i < 6; i++) store.getState().undo();
    expect(store.getState().recipe.stages).toEqual([]);
    expect(store.getState().looseModels).toEqual([]);
    store.getState().undo();
    expect(store.getState().recipe.stages).toEqual([]);
    store.getState().redo();
    expect(store.getState().looseModels).toEqual(['tiny/llama-bf16']);
    store.getState().addModel('tiny/qwen2-bf16');
    expect(store.getState().future).toEqual([]);
  });

  it('undoes a YAML import in one step and clears the parse error', () => {
    const store = createAppStore();
    store.getState().setYaml(GRADIENT_SLERP);
    const before = store.getState().recipe.stages;
    store.getState().setYaml('merge_method: [');
    expect(store.getState().yamlError).toBeDefined();
    store.getState().undo();
    expect(store.getState().yamlError).toBeUndefined();
    expect(store.getState().recipe.stages).toEqual([]);
    store.getState().redo();
    expect(store.getState().recipe.stages).toEqual(before);
  });
});

describe('permalink and autosave', () => {
  it('round-trips the recipe through the URL hash, never the token', () => {
    const store = createAppStore({ url: 'http://studio.test/?hub=http://127.0.0.1:9/' });
    store.getState().setYaml(LZLV);
    store.getState().setHubToken(MOCK_TOKEN, false);
    const link = store.getState().permalink('http://studio.test/?hub=x#old');
    expect(link).not.toContain(MOCK_TOKEN);
    expect(link.startsWith('http://studio.test/?hub=x#recipe=')).toBe(true);
    const opened = createAppStore({ url: link });
    expect(opened.getState().recipe.stages).toEqual(store.getState().recipe.stages);
    expect(opened.getState().past).toEqual([]);
    expect(decodePermalink(encodePermalink('name: é — ✓\n'))).toBe('name: é — ✓\n');
    expect(decodePermalink('#recipe=%%%')).toBeUndefined();
  });

  it('autosaves the recipe and loose models, restores them, and keeps the token out unless asked', () => {
    const storage = memoryStorage();
    const store = createAppStore({ storage });
    buildSlerp(store);
    store.getState().addModel('tiny/qwen2-bf16');
    store.getState().setHubToken(MOCK_TOKEN, false);
    expect(JSON.stringify([...Array(storage.length)].map((_, i) => storage.getItem(storage.key(i) ?? '')))).not.toContain(MOCK_TOKEN);
    const reopened = createAppStore({ storage });
    expect(reopened.getState().recipe.stages).toEqual(store.getState().recipe.stages);
    expect(reopened.getState().looseModels).toEqual(['tiny/qwen2-bf16']);
    expect(reopened.getState().hubToken).toBe('');
    store.getState().setHubToken(MOCK_TOKEN, true);
    expect(storage.getItem(STORAGE_KEYS.token)).toBe(MOCK_TOKEN);
    expect(createAppStore({ storage }).getState().hubToken).toBe(MOCK_TOKEN);
  });
});

describe('sources slice against the mock Hub', () => {
  let hub: MockHub;
  beforeAll(async () => {
    hub = await startMockHub({ repos: await standardRepos() });
  });
  afterAll(() => hub.close());

  it('reads header facts, refuses a wire across architectures, explains a gated repo', async () => {
    const store = createAppStore({ url: `http://studio.test/?hub=${encodeURIComponent(hub.url)}` });
    expect(store.getState().hubEndpoint).toBe(hub.url);
    await Promise.all(['tiny/llama-bf16', 'tiny/mistral-f16', 'gated/llama-bf16'].map((ref) => store.getState().loadHubModel(ref)));
    const llama = store.getState().sources['tiny/llama-bf16'];
    expect(llama?.status).toBe('ready');
    if (llama?.status !== 'ready') return;
    const model = store.getState().models['tiny/llama-bf16'];
    expect(llama.summary.architecture).toBe(model?.config?.['architectures'] instanceof Array ? model.config['architectures'][0] : undefined);
    expect(llama.summary.layers).toBe(model?.config?.['num_hidden_layers']);
    expect(llama.summary.dtype).toBe('BF16');
    expect(llama.summary.revision).toMatch(/^[0-9a-f]{40}$/);
    const tensorBytes = [...(model?.tensors.values() ?? [])].reduce((sum, t) => sum + t.length, 0);
    expect(llama.summary.params * 2).toBe(tensorBytes);

    const gated = store.getState().sources['gated/llama-bf16'];
    expect(gated?.status).toBe('error');
    if (gated?.status === 'error') {
      expect(gated.error.code).toBe('E_GATED_REPO');
      expect(gated.error.hint).toBeDefined();
    }

    const s = store.getState();
    s.addModel('tiny/llama-bf16');
    s.addModel('tiny/mistral-f16');
    const stage = s.addStage('linear');
    expect(store.getState().wire({ kind: 'model', ref: 'tiny/llama-bf16' }, stage, 'model')).toBeUndefined();
    const reason = store.getState().wire({ kind: 'model', ref: 'tiny/mistral-f16' }, stage, 'model');
    expect(reason).toContain('same architecture');
    expect(store.getState().notice).toBe(reason);
    expect(store.getState().recipe.stages[stage]?.models?.length).toBe(1);
  });

  it('reads a LoRA adapter\'s facts; refuses it on a model it does not fit, and refuses a model of another width', async () => {
    const store = createAppStore({ url: `http://studio.test/?hub=${encodeURIComponent(hub.url)}` });
    const s = store.getState();
    await Promise.all([s.loadHubModel('tiny/llama-bf16'), s.loadHubModel('tiny/llama-narrow'), s.loadAdapter('tiny/llama-lora'), s.loadAdapter('tiny/llama-bf16')]);
    const lora = store.getState().adapters['tiny/llama-lora'];
    expect(lora?.status).toBe('ready');
    if (lora?.status !== 'ready') return;
    expect(lora.summary).toMatchObject({ rank: 4, alpha: 8, scale: 2, weights: 8, targets: ['q_proj', 'v_proj'], dtype: 'F32' });
    expect(lora.summary.revision).toMatch(/^[0-9a-f]{40}$/);
    // A model folder is not an adapter: said so, by name.
    expect(store.getState().adapters['tiny/llama-bf16']).toMatchObject({ status: 'error', error: { code: 'E_LORA_INVALID', message: expect.stringContaining('no adapter_config.json') } });

    expect(s.addLora('tiny/llama-narrow', 'tiny/llama-lora')).toMatch(/does not fit .* of tiny\/llama-narrow/);
    expect(store.getState().looseModels).toEqual([]);
    expect(s.addLora('tiny/llama-bf16', 'tiny/llama-lora')).toBeUndefined();
    expect(store.getState().looseModels).toEqual(['tiny/llama-bf16+tiny/llama-lora']);
    const refused = s.wireLora('tiny/llama-narrow', 'tiny/llama-bf16+tiny/llama-lora');
    expect(refused).toMatch(/does not fit/);
    expect(store.getState().notice).toBe(refused);
    expect(store.getState().looseModels).toEqual(['tiny/llama-bf16+tiny/llama-lora']);

    const stage = s.addStage('linear');
    expect(store.getState().wire({ kind: 'model', ref: 'tiny/llama-bf16+tiny/llama-lora' }, stage, 'model')).toBeUndefined();
    const narrow = store.getState().wire({ kind: 'model', ref: 'tiny/llama-narrow' }, stage, 'model');
    expect(narrow).toMatch(/^tiny\/llama-narrow has model\.layers\.0\.\S+ of \[[\d, ]+\] but tiny\/llama-bf16 has \[[\d, ]+\]: models in one merge need the same hidden and intermediate sizes\.$/);
    expect(exportRecipe(store.getState().recipe)).toContain('tiny/llama-bf16+tiny/llama-lora');
  });

  it('wires a merge output into a LoRA node (stage+adapter in the YAML), refused with the reason when the adapter does not fit the output', async () => {
    const store = createAppStore({ url: `http://studio.test/?hub=${encodeURIComponent(hub.url)}` });
    const s = store.getState();
    await Promise.all([s.loadHubModel('tiny/llama-bf16'), s.loadHubModel('tiny/llama-narrow'), s.loadAdapter('tiny/llama-lora')]);
    s.setYaml('name: narrow\nmerge_method: passthrough\nmodels:\n  - model: tiny/llama-narrow\n---\nname: wide\nmerge_method: passthrough\nmodels:\n  - model: tiny/llama-bf16\n---\nmerge_method: linear\nmodels:\n  - model: tiny/llama-bf16\n    parameters: {weight: 1}\n');
    expect(s.addLora('tiny/llama-bf16', 'tiny/llama-lora')).toBeUndefined();
    const refused = store.getState().wireStageLora(0, 'tiny/llama-bf16+tiny/llama-lora');
    expect(refused).toBe(
      'The output of narrow has the weights of tiny/llama-narrow. LoRA tiny/llama-lora does not fit model.layers.0.self_attn.q_proj.weight of tiny/llama-narrow: A is [4, 64], B is [64, 4], the weight is [32, 32].',
    );
    expect(store.getState().notice).toBe(refused);
    expect(store.getState().looseModels).toEqual(['tiny/llama-bf16+tiny/llama-lora']);
    expect(store.getState().wireStageLora(1, 'tiny/llama-bf16+tiny/llama-lora')).toBeUndefined();
    expect(store.getState().looseModels).toEqual(['wide+tiny/llama-lora']);
    expect(store.getState().wire({ kind: 'model', ref: 'wide+tiny/llama-lora' }, 2, 'model')).toBeUndefined();
    expect(store.getState().yamlText).toContain('  - model: wide+tiny/llama-lora\n');
    expect(store.getState().looseModels).toEqual([]);
    // Importing the YAML back gives the same recipe; the LoRA node on narrow is refused the same way when imported.
    expect(loraProblem(store.getState().models, store.getState().adapters, 'narrow+tiny/llama-lora', store.getState().recipe.stages)).toMatch(/^The output of narrow has the weights of tiny\/llama-narrow\. LoRA tiny\/llama-lora does not fit/);
    // A merge cannot feed a LoRA node that feeds the merge itself.
    expect(store.getState().wireStageLora(2, 'wide+tiny/llama-lora')).toMatch(/would make a loop/);
  });
});
