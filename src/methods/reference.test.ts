import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import * as ref from './reference.test-support';

/**
 * The TypeScript references against outputs of mergekit-spec Appendix B's own NumPy code (refs.py), generated once by
 * scripts/goldens/make-method-goldens.py and committed. Ties and the mask use task vectors taken in f32 here (as the
 * kernels do), float64 in refs.py: hence the looser tolerance there.
 */
const golden = JSON.parse(readFileSync(new URL('./golden/appendix-b.json', import.meta.url), 'utf8')) as {
  base: number[];
  tunes: number[][];
  unrelated: number[];
  outputs: Record<string, number[]>;
};
const v = (a: number[]) => Float64Array.from(a);
const base = v(golden.base);
const x = golden.tunes.map(v);
const unrelated = v(golden.unrelated);
const deltas = x.map((t) => t.map((value, i) => Math.fround(value - base[i]!)));

const cases: Record<string, [() => Float64Array, number]> = {
  slerp_fine: [() => ref.slerp(0.3, base, x[0]!), 1e-12],
  slerp_unrelated: [() => ref.slerp(0.77, base, unrelated), 1e-12],
  nearswap: [() => ref.nearswap(0.004, base, x[0]!), 1e-12],
  linear: [() => ref.linear(x, [0.3, 0.5, 0.2]), 1e-12],
  ties: [() => ref.gta(base, x, [0.6, 0.4, -0.3], { masks: deltas.map((d, i) => ref.topkMask(d, [0.5, 0.3, 0.7][i]!)), consensus: true, normalize: true }), 1e-8],
  breadcrumbs_mask: [() => ref.breadcrumbsMask(deltas[0]!, 0.6, 0.1), 0],
  nuslerp_flat: [() => ref.nuslerp(0.7, x[0]!, x[1]!, [3, 11], 'flat'), 1e-12],
  nuslerp_rows: [() => ref.nuslerp(0.7, x[0]!, x[1]!, [3, 11], 'rows'), 1e-12],
  multislerp: [() => ref.multislerp(x, [0.2, 0.5, 0.3]), 1e-12],
  karcher: [() => ref.karcher([x[0]!, x[1]!, unrelated]), 1e-12],
  model_stock: [() => ref.modelStock(base, x), 1e-12],
  sce: [() => ref.sce(base, x, 0.5), 1e-12],
};

describe('TypeScript references reproduce mergekit-spec Appendix B (NumPy, float64)', () => {
  it('covers every golden case', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(golden.outputs).sort());
  });

  it.each(Object.keys(cases).map((k) => [k]))('%s', (name) => {
    const [compute, tolerance] = cases[name]!;
    const expected = golden.outputs[name]!;
    const actual = compute();
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance);
  });
});
