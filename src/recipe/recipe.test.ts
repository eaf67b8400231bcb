import { readFileSync, readdirSync } from 'node:fs';

import { parse as parsePyLike } from 'yaml';
import { describe, expect, it } from 'vitest';

import { AppError } from '../shared/errors';
import { exportRecipe } from './export';
import { formatModelRef, parseModelRefString } from './model-ref';
import { parseRecipe } from './parse';
import { NON_LAYER_POSITION, evaluateSetting, interpolate, layerPosition, resolveParameter } from './settings';
import { slerp } from '../methods/slerp';
import { ties } from '../methods/ties';

const EXAMPLES = new URL('./examples/', import.meta.url);
const example = (name: string) => readFileSync(new URL(name, EXAMPLES), 'utf8');

function failure(text: string): AppError {
  try {
    parseRecipe(text);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the recipe to be rejected');
}

describe('the example configs of mergekit-spec §1.7', () => {
  it.each(readdirSync(EXAMPLES).map((f) => [f]))('%s parses, exports and parses back to the same recipe', (file) => {
    const first = parseRecipe(example(file));
    const text = exportRecipe(first);
    const second = parseRecipe(text);
    expect(second.stages).toEqual(first.stages);
    expect(second.final).toBe(first.final);
    expect(exportRecipe(second)).toBe(text);
  });

  it('reads the gradient SLERP with its filters', () => {
    const recipe = parseRecipe(example('a-gradient-slerp.yml'));
    const stage = recipe.stages[0]!;
    expect(stage.mergeMethod).toBe('slerp');
    expect(stage.baseModel).toEqual({ path: 'NousResearch/Hermes-3-Llama-3.1-8B' });
    expect(stage.parameters['t']).toEqual([
      { filter: 'self_attn', value: [0, 0.5, 0.3, 0.7, 1] },
      { filter: 'mlp', value: [1, 0.5, 0.7, 0.3, 0] },
      { value: 0.5 },
    ]);
    expect(stage.dtype).toBe('bfloat16');
    expect(recipe.positions['0/parameters/t']).toEqual({ line: 8, column: 5 }); // the list under t:
  });

  it('reads the multi-stage recipe: names, the final stage, and dependency order', () => {
    const recipe = parseRecipe(example('e-multi-stage.yml'));
    expect(recipe.stages.map((s) => s.name)).toEqual(['hermes-x-instruct', undefined]);
    expect(recipe.final).toBe(1);
    expect(recipe.order).toEqual([0, 1]);
    expect(recipe.stages[1]!.models![0]!.model).toEqual({ path: 'hermes-x-instruct' });
  });

  it('reads slices, per-source parameters, out_dtype and the tokenizer source', () => {
    const passthrough = parseRecipe(example('d-passthrough.yml')).stages[0]!;
    expect(passthrough.slices!.map((s) => s.sources[0]!.layerRange)).toEqual([[0, 24], [8, 32]]);
    expect(passthrough.slices![1]!.sources[0]!.parameters['scale']).toEqual([{ filter: 'o_proj', value: 0.5 }, { filter: 'down_proj', value: 0.5 }, { value: 1 }]);
    const tiesStage = parseRecipe(example('b-ties.yml')).stages[0]!;
    expect(tiesStage.outDtype).toBe('bfloat16');
    expect(tiesStage.tokenizer).toEqual({ source: { kind: 'base' } });
  });
});

describe('YAML numbers and mergekit (PyYAML) compatibility', () => {
  it('exports floats that PyYAML reads as floats', () => {
    const recipe = parseRecipe('merge_method: nearswap\nbase_model: a/b\nmodels:\n  - model: c/d\nparameters:\n  t: 0.0001\n');
    const tiny = { ...recipe.stages[0]!, parameters: { t: [1e-4, 1e-7, 1.5, 2, 1e21, 2.5e-10] } };
    const text = exportRecipe({ stages: [tiny] });
    expect(text).toContain('t:\n    - 0.0001\n    - 1.0e-7\n    - 1.5\n    - 2\n    - 1.0e+21\n    - 2.5e-10\n');
    // Every float in the text has a mantissa dot and a signed exponent, which is what PyYAML's float pattern needs.
    const floats = text.match(/[-+]?\d[\d.]*e[-+]?\d+/gi) ?? [];
    expect(floats.length).toBeGreaterThan(0);
    for (const f of floats) expect(f).toMatch(/^[-+]?\d+\.\d*e[-+]\d+$/i);
    expect(parsePyLike(text, { version: '1.1' }).parameters.t).toEqual([1e-4, 1e-7, 1.5, 2, 1e21, 2.5e-10]);
  });

  it('reads 1e-4 as a number but warns that mergekit would read it as text', () => {
    const recipe = parseRecipe('merge_method: nearswap\nbase_model: a/b\nmodels:\n  - model: c/d\nparameters:\n  t: 1e-4\n');
    expect(recipe.stages[0]!.parameters['t']).toBe(1e-4);
    expect(recipe.warnings).toEqual([{ line: 6, column: 6, message: expect.stringMatching(/1e-4 .*mergekit \(PyYAML\) reads it as text; write 0.0001/) }]);
  });

  it('reads YAML 1.1 booleans as PyYAML does', () => {
    const recipe = parseRecipe('merge_method: ties\nbase_model: a/b\nmodels:\n  - model: c/d\n    parameters: {weight: 1}\nparameters:\n  normalize: no\n');
    expect(recipe.stages[0]!.parameters['normalize']).toBe(false);
  });
});

describe('gradients (mergekit-spec §2, Appendix A)', () => {
  // Appendix A: 32 layers, self_attn [0, 0.5, 0.3, 0.7, 1] and mlp [1, 0.5, 0.7, 0.3, 0], four decimals.
  const SELF_ATTN = [0.0000, 0.0645, 0.1290, 0.1935, 0.2581, 0.3226, 0.3871, 0.4516, 0.4935, 0.4677, 0.4419, 0.4161, 0.3903, 0.3645, 0.3387, 0.3129, 0.3258, 0.3774, 0.4290, 0.4806, 0.5323, 0.5839, 0.6355, 0.6871, 0.7290, 0.7677, 0.8065, 0.8452, 0.8839, 0.9226, 0.9613, 1.0000];
const MLP = [1.0000, 0.9355, 0.8710, 0.8065, 0.7419, 0.6774, 0.6129, 0.5484, 0.5065, 0.5323, 0.5581, 0.5839, 0.6097, 0.6355, 0.6613, 0.6871, 0.6742, 0.6226, 0.5710, 0.5194, 0.4677, 0.4161, 0.3645, 0.3129, 0.2710, 0.2323, 0.1935, 0.1548, 0.1161, 0.0774, 0.0387, 0.0000];
  const setting = parseRecipe(example('a-gradient-slerp.yml')).stages[0]!.parameters['t']!;

  it('reproduces the full 32-layer table for both filters', () => {
    for (let i = 0; i < 32; i++) {
      const t = layerPosition(i, 32);
      expect(evaluateSetting(setting, `model.layers.${i}.self_attn.q_proj.weight`, t)).toBeCloseTo(SELF_ATTN[i]!, 4);
      expect(evaluateSetting(setting, `model.layers.${i}.mlp.up_proj.weight`, t)).toBeCloseTo(MLP[i]!, 4);
    }
  });

  it('gives non-layer tensors the first value, and the fallback to unfiltered names', () => {
    expect(evaluateSetting([0.2, 0.9], 'lm_head.weight', NON_LAYER_POSITION)).toBe(0.2);
    expect(evaluateSetting(setting, 'model.embed_tokens.weight', NON_LAYER_POSITION)).toBe(0.5);
    expect(evaluateSetting(setting, 'model.layers.3.input_layernorm.weight', layerPosition(3, 32))).toBe(0.5);
  });

  it('handles one-layer slices, step lists, boolean gradients and first-match filters', () => {
    expect(layerPosition(0, 1)).toBe(1);
    expect(interpolate([3], 0.7)).toBe(3);
    expect(evaluateSetting(['a', 'b', 'c'], 'x', 0.99)).toBe('b');
    expect(evaluateSetting([true, false], 'x', 0.4)).toBeCloseTo(0.6);
    const filters = [{ filter: 'norm', value: 1 }, { filter: 'input_layernorm', value: 2 }];
    expect(evaluateSetting(filters, 'model.layers.0.input_layernorm.weight', 0)).toBe(1);
    expect(evaluateSetting(filters, 'model.layers.0.mlp.up_proj.weight', 0)).toBeUndefined();
    expect(evaluateSetting([{ filter: '*', value: [0, 1] }], 'a', 0.25)).toBe(0.25);
  });
});

describe('parameter precedence (mergekit-spec §1.4)', () => {
  const weight = ties.params.find((p) => p.name === 'weight')!;
  const density = ties.params.find((p) => p.name === 'density')!;
  const t = slerp.params[0]!;
  const target = { tensor: 'model.layers.0.mlp.up_proj.weight', t: 0, model: 'c/d' };

  it('takes the model entry, then the slice, then the top level, then the default', () => {
    expect(resolveParameter(weight, { source: { weight: 0.3 }, slice: { weight: 0.2 }, global: { weight: 0.1 } }, target)).toBe(0.3);
    expect(resolveParameter(weight, { source: {}, slice: { weight: 0.2 }, global: { weight: 0.1 } }, target)).toBe(0.2);
    expect(resolveParameter(weight, { global: { weight: 0.1 } }, target)).toBe(0.1);
    expect(resolveParameter(density, { global: {} }, target)).toBe(1);
  });

  it('falls through a filter list that does not match, and ignores a global parameter under a model', () => {
    expect(resolveParameter(weight, { source: { weight: [{ filter: 'self_attn', value: 0.9 }] }, global: { weight: 0.1 } }, target)).toBe(0.1);
    expect(resolveParameter(t, { source: { t: 0.9 }, global: { t: 0.4 } }, target)).toBe(0.4);
  });

  it('names the parameter, model and tensor when a required value is missing, except for the base', () => {
    expect(() => resolveParameter(weight, { global: {} }, target)).toThrow(/Missing required parameter weight for c\/d \(tensor model.layers.0.mlp.up_proj.weight\)/);
    expect(resolveParameter(weight, { global: {} }, { ...target, isBase: true })).toBeUndefined();
  });
});

describe('model references (mergekit-spec §1.2)', () => {
  it('parses revisions and LoRA references and prints them back', () => {
    for (const text of ['a/b', 'a/b@main', 'a/b+c/lora', 'a/b@v1+c/lora@abc', './local/model']) {
      const ref = parseModelRefString(text);
      expect(typeof ref).toBe('object');
      expect(formatModelRef(ref as Exclude<typeof ref, string>)).toBe(text);
    }
    expect(parseModelRefString('a/b@x@y')).toMatch(/more than one "@"/);
    expect(parseModelRefString('a+b+c')).toMatch(/more than one "\+"/);
  });

  it('reads the mapping form with override_architecture and exports it as a mapping', () => {
    const text = 'merge_method: passthrough\nmodels:\n  - model:\n      model: {path: a/b, revision: main}\n      lora: c/d\n      override_architecture: MistralForCausalLM\n';
    const recipe = parseRecipe(text);
    expect(recipe.stages[0]!.models![0]!.model).toEqual({ path: 'a/b', revision: 'main', lora: { path: 'c/d' }, overrideArchitecture: 'MistralForCausalLM' });
    expect(parseRecipe(exportRecipe(recipe)).stages).toEqual(recipe.stages);
  });
});

describe('bad recipes: clear errors with line and column', () => {
  const base = 'base_model: a/base\n';
  it.each([
    ['unknown method', 'merge_method: slurp\nmodels:\n  - model: a/b\n', 'E_UNKNOWN_METHOD', 1, /Unknown merge_method slurp/],
    ['a mergekit method not run yet', 'merge_method: ram\nbase_model: a/b\nmodels:\n  - model: c/d\n', 'E_UNSUPPORTED', 1, /does not run yet/],
    ['unknown key with a suggestion', 'merge_method: linear\nmodels:\n  - model: a/b\n    parameter: {weight: 1}\n', 'E_RECIPE_INVALID', 4, /Unknown key `parameter` in models\[0\]; did you mean `parameters`/],
    ['slerp with three models', `merge_method: slerp\n${base}models:\n  - model: a/base\n  - model: b/one\n  - model: c/two\nparameters: {t: 0.5}\n`, 'E_RECIPE_INVALID', 4, /slerp takes exactly 1 model\(s\) besides the base model, but models has 2/],
    ['missing base model', 'merge_method: ties\nmodels:\n  - model: a/b\n    parameters: {weight: 1}\n', 'E_RECIPE_INVALID', 1, /ties needs a base_model/],
    ['empty gradient list', `merge_method: slerp\n${base}models:\n  - model: b/one\nparameters:\n  t: []\n`, 'E_RECIPE_INVALID', 6, /t is an empty list/],
    ['empty layer range', 'merge_method: passthrough\nslices:\n  - sources:\n      - model: a/b\n        layer_range: [8, 8]\n', 'E_RECIPE_INVALID', 5, /layer_range \[8, 8\] is empty/],
    ['a global parameter under a model', `merge_method: slerp\n${base}models:\n  - model: b/one\n    parameters: {t: 0.3}\nparameters: {t: 0.5}\n`, 'E_RECIPE_INVALID', 5, /t applies to the whole merge/],
    ['an unknown parameter', `merge_method: slerp\n${base}models:\n  - model: b/one\nparameters: {weight: 0.5}\n`, 'E_RECIPE_INVALID', 5, /slerp has no parameter weight/],
    ['a wrong value type', `merge_method: ties\n${base}models:\n  - model: b/one\n    parameters: {weight: heavy}\n`, 'E_RECIPE_INVALID', 5, /weight must be a number, not "heavy"/],
    ['a lone conditional mapping', `merge_method: slerp\n${base}models:\n  - model: b/one\nparameters:\n  t: {filter: mlp, value: 1}\n`, 'E_RECIPE_INVALID', 6, /must be inside a list/],
    ['both models and slices', 'merge_method: linear\nmodels: []\nslices: []\n', 'E_RECIPE_INVALID', 1, /exactly one of models:, slices: and modules:/],
    ['a bad dtype', `merge_method: linear\nmodels:\n  - model: a/b\n    parameters: {weight: 1}\ndtype: bf16\n`, 'E_RECIPE_INVALID', 5, /dtype: bf16 is not a dtype mergekit accepts/],
    ['a bad model reference', 'merge_method: linear\nmodels:\n  - model: a/b@x@y\n    parameters: {weight: 1}\n', 'E_RECIPE_INVALID', 3, /more than one "@"/],
    ['YAML syntax', 'merge_method: linear\nmodels:\n  - model: [a/b\n', 'E_RECIPE_YAML', 4, /not valid YAML/],
    ['a stage cycle', 'name: a\nmerge_method: linear\nmodels:\n  - model: b\n    parameters: {weight: 1}\n---\nname: b\nmerge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n', 'E_STAGE_CYCLE', 1, /circle: a → b → a/],
    ['two final stages', 'merge_method: linear\nmodels:\n  - model: x/y\n    parameters: {weight: 1}\n---\nmerge_method: linear\nmodels:\n  - model: x/z\n    parameters: {weight: 1}\n', 'E_RECIPE_INVALID', 6, /Only one stage may be unnamed/],
  ] as const)('%s', (_, text, code, line, message) => {
    const error = failure(text);
    expect(error.code).toBe(code);
    expect(error.context.line).toBe(line);
    expect(error.context.column).toBeGreaterThan(0);
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
  });
});
