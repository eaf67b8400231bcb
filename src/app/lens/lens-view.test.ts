import { describe, expect, it } from 'vitest';

import type { LensReport, LensTensor } from '../../methods/lens-report';
import { emptySums, exactErrors, metricsOf } from '../../methods/lens-stats';
import { parseRecipe } from '../../recipe/parse';
import { lensGrid } from '../../methods/lens-grid';
import { cellAt, colourAt, GEOMETRY, metricRange, scalePosition, sourceOf, stagePair, stageT, whereLanded } from './lens-view';

function tensor(name: string, aa: number, bb: number, dd: number): LensTensor {
  const sums = { ...emptySums(), elements: 4, aa, bb, dd, ab: (aa + bb - dd) / 2, squaresGap: bb - aa };
  const metrics = metricsOf(sums, false);
  return { name, shape: [2, 2], ...metrics, sampled_elements: null, standard_error: exactErrors(metrics), sums };
}

function report(tensors: LensTensor[]): LensReport {
  return { a: 'x', b: 'y', mode: 'exact', backend: 'CPU', nearswap_t: null, tensors, skipped: [], seconds: 0 };
}

describe('lens panel helpers', () => {
  it('compares a stage’s base with its first other input, reading local folders by their files and the rest from the Hub', () => {
    const stage = parseRecipe('merge_method: slerp\nbase_model: org/base@v1\nmodels:\n  - model: org/base@v1\n  - model: local-ft+org/lora\nparameters:\n  t: [0, 1]\n').stages[0];
    expect(stagePair(stage)).toEqual({ a: 'org/base@v1', b: 'local-ft+org/lora' });
    const file = new File([], 'model.safetensors');
    expect(sourceOf('org/base@v1', {})).toEqual({ kind: 'hub', repo: 'org/base', revision: 'v1' });
    expect(sourceOf('local-ft+org/lora', { 'local-ft': { name: 'local-ft', files: [file] } })).toEqual({ kind: 'files', name: 'local-ft', files: [file] });
    expect(sourceOf('not-added', {})).toBeUndefined();
    // t: [0, 1] over 3 layers is 0, 0.5, 1.
    expect(stageT(stage, 3)).toEqual([0, 0.5, 1]);
  });

  it('says where the merge landed per layer from the output’s lenses against each parent', () => {
    const aVsOut = report([tensor('model.layers.0.self_attn.q_proj.weight', 4, 4.2, 0.09), tensor('model.layers.0.mlp.up_proj.weight', 9, 9.1, 0.16)]);
    const bVsOut = report([tensor('model.layers.0.self_attn.q_proj.weight', 4.5, 4.2, 0.25), tensor('model.layers.0.mlp.up_proj.weight', 8, 9.1, 0.36)]);
    const [row] = whereLanded(aVsOut, bVsOut);
    const toA = Math.sqrt((0.09 + 0.16) / (4 + 9));
    const toB = Math.sqrt((0.25 + 0.36) / (4.5 + 8));
    expect(row?.label).toBe('layer 0');
    expect(row?.toA).toBeCloseTo(toA, 14);
    expect(row?.toB).toBeCloseTo(toB, 14);
    expect(row?.position).toBeCloseTo(toA / (toA + toB), 14);
  });

  it('maps values to colours on a linear or log scale and points to cells', () => {
    expect(colourAt(0)).toBe('rgb(68, 1, 84)');
    expect(colourAt(1)).toBe('rgb(253, 231, 37)');
    expect(scalePosition(0.5, 0, 1)).toBe(0.5);
    expect(scalePosition(0.1, 0.01, 1)).toBeCloseTo(0.5, 12);
    const { labelWidth, cellWidth, headerHeight, rowHeight } = GEOMETRY;
    expect(cellAt(labelWidth + 1.5 * cellWidth, headerHeight + 2.5 * rowHeight, 4, ['q', 'k', 'v'])).toEqual({ row: 2, column: 'k' });
    expect(cellAt(2, headerHeight + 0.5 * rowHeight, 4, ['q'])).toEqual({ row: 0, column: undefined });
    expect(cellAt(2, 2, 4, ['q'])).toBeUndefined();
    const rows = lensGrid(report([tensor('model.layers.0.self_attn.q_proj.weight', 4, 4, 0.04), tensor('model.layers.1.self_attn.q_proj.weight', 4, 4, 0.16), tensor('model.layers.0.input_layernorm.weight', 1, 1, 0.0001)]));
    const [lo, hi] = metricRange(rows, 'relative_difference');
    expect([lo, hi].map((v) => v.toFixed(6))).toEqual(['0.010000', '0.200000']);
    expect(metricRange(rows, 'relative_difference', 'q').map((v) => v.toFixed(6))).toEqual(['0.100000', '0.200000']);
  });
});
