import { describe, expect, it } from 'vitest';

import type { LensReport, LensTensor } from '../../methods/lens-report';
import { emptySums, exactErrors, metricsOf } from '../../methods/lens-stats';
import { landedSummary, pairSummary } from './lens-summary';
import type { Landed } from './lens-view';

function tensor(name: string, aa: number, dd: number): LensTensor {
  const sums = { ...emptySums(), elements: 4, aa, bb: aa, dd, ab: aa - dd / 2 };
  const metrics = metricsOf(sums, false);
  return { name, shape: [2, 2], ...metrics, sampled_elements: null, standard_error: exactErrors(metrics), sums };
}

describe('lens summary for the model card', () => {
  it('names the layers that differ most, by ‖b − a‖ / ‖a‖ computed from the sums', () => {
    const report: LensReport = {
      a: 'org/base',
      b: 'org/tuned',
      mode: 'exact',
      backend: 'CPU',
      nearswap_t: null,
      tensors: [0.01, 0.16, 0.04, 0.09].map((dd, layer) => tensor(`model.layers.${layer}.mlp.up_proj.weight`, 1, dd)),
      skipped: [],
      seconds: 0,
    };
    // relative difference = sqrt(dd / aa): layer 1 0.4, layer 3 0.3, layer 2 0.2.
    expect(pairSummary(report)).toBe('Weight lens of `org/base` against `org/tuned` (exact, 4 tensors). Layers that differ most (‖b − a‖ / ‖a‖): layer 1 (0.4000), layer 3 (0.3000), layer 2 (0.2000).');
  });

  it('says where the merge sits between its parents on average and where it is nearest each', () => {
    const rows: Landed[] = [
      { label: 'layer 0', layer: 0, toA: 0.1, toB: 0.3, position: 0.25 },
      { label: 'layer 1', layer: 1, toA: 0.3, toB: 0.1, position: 0.75 },
      { label: 'layer 2', layer: 2, toA: 0.2, toB: 0.2, position: 0.5 },
      { label: 'lm_head', layer: undefined, toA: null, toB: 0.2, position: null },
    ];
    const text = landedSummary('org/a', 'org/b', rows);
    expect(text).toContain('0.500 on average over 3 rows');
    expect(text).toContain('nearest `org/a` at layer 0 (0.250), nearest `org/b` at layer 1 (0.750)');
    expect(landedSummary('org/a', 'org/b', rows.slice(3))).toBeUndefined();
  });
});
