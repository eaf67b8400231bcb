import { describe, expect, it } from 'vitest';

import { parseRecipe } from '../recipe/parse';
import { NON_LAYER_POSITION, evaluateSetting, layerPosition } from '../recipe/settings';
import { DEFAULT_FILTER, PRESETS, curvesToSetting, filterProblem, nonLayerRows, resample, resolvedTable, settingToCurves } from './gradient';

describe('gradient curves ⇄ mergekit notation', () => {
  it('reads the notation of a community recipe and writes it back unchanged', () => {
    const recipe = parseRecipe(`merge_method: slerp
base_model: a/b
models:
  - model: c/d
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
`);
    const setting = recipe.stages[0]?.parameters['t'];
    const curves = settingToCurves(setting, 0.5);
    expect(curves).toEqual({ self_attn: [0, 0.5, 0.3, 0.7, 1], mlp: [1, 0.5, 0.7, 0.3, 0], [DEFAULT_FILTER]: [0.5] });
    expect(curvesToSetting(curves ?? {})).toEqual(setting);
  });

  it('a plain gradient and a scalar stay plain; non-numeric settings are left to the text field', () => {
    expect(curvesToSetting(settingToCurves([0, 1], 0) ?? {})).toEqual([0, 1]);
    expect(curvesToSetting(settingToCurves(0.3, 0) ?? {})).toBe(0.3);
    expect(settingToCurves(undefined, 0.25)).toEqual({ [DEFAULT_FILTER]: [0.25] });
    expect(settingToCurves([true, false], 0)).toBeUndefined();
  });

  it('resampling keeps the curve', () => {
    expect(resample([0, 1], 3)).toEqual([0, 0.5, 1]);
    expect(resample([1, 0, 1], 5)).toEqual([1, 0.5, 0, 0.5, 1]);
    expect(resample([0.4], 3)).toEqual([0.4, 0.4, 0.4]);
  });

  it('the per-layer table is what evaluateSetting gives at j/(L-1), per filter', () => {
    const setting = curvesToSetting({ self_attn: [0, 1], mlp: [1, 0], [DEFAULT_FILTER]: PRESETS.find((p) => p.id === 'v')?.anchors ?? [] });
    const layers = 5;
    const table = resolvedTable(setting, layers, ['self_attn', 'mlp', DEFAULT_FILTER]);
    expect(table).toHaveLength(layers);
    for (const row of table) {
      expect(row.t).toBe(layerPosition(row.layer, layers));
      expect(row.values[0]).toBe(evaluateSetting(setting, `model.layers.${row.layer}.self_attn.o_proj.weight`, row.t));
      expect(row.values[1]).toBe(evaluateSetting(setting, `model.layers.${row.layer}.mlp.down_proj.weight`, row.t));
      expect(row.values[2]).toBe(evaluateSetting(setting, `model.layers.${row.layer}.post_attention_layernorm.weight`, row.t));
    }
    // Spot values: the V curve is 1 at both ends and 0 in the middle; self_attn rises linearly.
    expect(table[0]?.values).toEqual([0, 1, 1]);
    expect(table[2]?.values).toEqual([0.5, 0.5, 0]);
    expect(table[4]?.values).toEqual([1, 0, 1]);
  });

  it('gives the tensors outside the layer stack a gradient\'s first value, per the filters that name them', () => {
    const setting = curvesToSetting({ self_attn: [0.2, 1], embed: [0.3, 0.9], [DEFAULT_FILTER]: [0.7, 0.1, 0.7] });
    const rows = nonLayerRows(setting, [DEFAULT_FILTER, 'self_attn', 'embed']);
    expect(rows).toEqual([
      { label: 'embed', tensor: 'model.embed_tokens.weight', values: [0.3, undefined, 0.3] },
      { label: 'norm', tensor: 'model.norm.weight', values: [0.7, undefined, undefined] },
      { label: 'LM head', tensor: 'lm_head.weight', values: [0.7, undefined, undefined] },
    ]);
    // The same numbers the merge uses for those tensors.
    expect(rows[2]?.values[0]).toBe(evaluateSetting(setting, 'lm_head.weight', NON_LAYER_POSITION));
  });

  it('takes any part of a tensor name as a new filter, once', () => {
    const curves = { self_attn: [0, 1], [DEFAULT_FILTER]: [0.5] };
    expect(filterProblem(curves, ' q_proj ')).toBeUndefined();
    expect(filterProblem(curves, 'self_attn')).toMatch(/already has a tab/);
    expect(filterProblem(curves, 'mlp')).toMatch(/already has a tab/);
    expect(filterProblem(curves, '*')).toMatch(/part of a tensor name/);
    expect(filterProblem(curves, '  ')).toMatch(/part of a tensor name/);
  });
});
