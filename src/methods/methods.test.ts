import { describe, expect, it } from 'vitest';

import { f32ToBf16 } from '../io/safetensors/codec';
import type { MergeJob, ParamValue } from './kernel';
import { runMerger } from './kernel';
import { KERNELS } from './kernels';
import { streamOf, uniform } from './random';
import * as ref from './reference.test-support';
import { METHODS } from './registry';

/** Seeded N(0,1)-ish values (a test-local LCG + Box–Muller, independent of the code under test). */
function gaussian(seed: number, n: number, scale = 1, mean = 0): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: n }, () => mean + scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next()));
}

const f64 = (x: Float32Array) => Float64Array.from(x);

interface Case {
  readonly method: string;
  readonly inputs: Float32Array[];
  readonly shape: number[];
  readonly baseIndex?: number;
  readonly globals?: Record<string, ParamValue>;
  readonly perModel?: Record<string, ParamValue>[];
  readonly seed?: number;
}

function job(c: Case): MergeJob {
  const numel = c.shape.reduce((a, b) => a * b, 1);
  return {
    tensor: 'model.layers.0.mlp.up_proj.weight',
    shape: c.shape,
    numel,
    baseIndex: c.baseIndex,
    globals: c.globals ?? {},
    perModel: c.perModel ?? c.inputs.map(() => ({})),
    seed: c.seed ?? 42,
  };
}

function run(c: Case, chunk: number): Float32Array {
  const j = job(c);
  const kernel = KERNELS[c.method];
  if (kernel === undefined) throw new Error(`no kernel ${c.method}`);
  return runMerger(kernel(j, c.inputs.length), c.inputs, j.numel, chunk);
}

/** Runs at several chunk sizes: results must be identical bit for bit; returns one of them. */
function runEverywhere(c: Case): Float32Array {
  const numel = c.shape.reduce((a, b) => a * b, 1);
  const results = [numel, 1000, 4096, 77, 1].map((chunk) => run(c, chunk));
  for (const other of results.slice(1)) expect(Buffer.from(other.buffer).equals(Buffer.from(results[0]!.buffer))).toBe(true);
  return results[0]!;
}

/** Within f32 rounding of the f64 reference, relative to the inputs' scale; and within 1 bf16 ulp after rounding. */
function expectClose(actual: Float32Array, expected: Float64Array, scale: number, tolerance = 4e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst / scale).toBeLessThan(tolerance);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(f32ToBf16(actual[i]!) - f32ToBf16(expected[i]!))).toBeLessThanOrEqual(1);
  }
}

const SIZES = [1, 7, 1000, 4099];
const weights = (...w: number[]) => w.map((weight) => ({ weight }));

describe('every registered method has a CPU kernel', () => {
  it.each(METHODS.map((m) => [m.id]))('%s', (id) => {
    expect(KERNELS[id]).toBeTypeOf('function');
  });
});

describe.each(SIZES)('elementwise and reduction methods on %i elements, at every chunk size', (n) => {
  const base = gaussian(1 + n, n, 0.02);
  const tune = (seed: number, amount = 0.3) => {
    const noise = gaussian(seed + n, n, 0.02 * amount);
    return base.map((v, i) => v + noise[i]!);
  };
  const a = tune(2);
  const b = tune(3);
  const c = tune(4);
  const unrelated = gaussian(5 + n, n, 0.02);

  it('linear (normalised and not)', () => {
    for (const normalize of [true, false]) {
      const y = runEverywhere({ method: 'linear', inputs: [a, b, c], shape: [n], globals: { normalize }, perModel: weights(0.3, 0.5, 0.2) });
      expectClose(y, ref.linear([f64(a), f64(b), f64(c)], [0.3, 0.5, 0.2], normalize), 0.02);
    }
  });

  it('slerp at several t, for close fine-tunes and unrelated tensors', () => {
    for (const [x, t] of [[a, 0.5], [a, 0.3], [unrelated, 0.77], [unrelated, 0]] as const) {
      const y = runEverywhere({ method: 'slerp', inputs: [base, x], shape: [n], baseIndex: 0, globals: { t } });
      expectClose(y, ref.slerp(t, f64(base), f64(x)), 0.02);
    }
  });

  it('nearswap at t = 0.0001 and 0.01', () => {
    for (const t of [1e-4, 1e-2]) {
      const y = runEverywhere({ method: 'nearswap', inputs: [base, a], shape: [n], baseIndex: 0, globals: { t } });
      expectClose(y, ref.nearswap(t, f64(base), f64(a)), 0.02);
    }
  });

  it('task_arithmetic with lambda and a negative weight', () => {
    const y = runEverywhere({ method: 'task_arithmetic', inputs: [a, base, b], shape: [n], baseIndex: 1, globals: { lambda: 0.7 }, perModel: [{ weight: 0.6 }, {}, { weight: -0.3 }] });
    expectClose(y, ref.gta(f64(base), [f64(a), f64(b)], [0.6, -0.3], { lambda: 0.7 }), 0.02);
  });

  it('ties: exact top-k per model, sign consensus, normalise, with and without rescale', () => {
    const densities = [0.5, 0.3, 0.7];
    for (const rescale of [false, true]) {
      const y = runEverywhere({
        method: 'ties',
        inputs: [base, a, b, c],
        shape: [n],
        baseIndex: 0,
        globals: { rescale },
        perModel: [{}, { weight: 0.6, density: 0.5 }, { weight: 0.4, density: 0.3 }, { weight: -0.3, density: 0.7 }],
      });
      const deltas = [a, b, c].map((x) => f64(x).map((v, i) => Math.fround(v - base[i]!)));
      const masks = deltas.map((d, i) => ref.topkMask(d, densities[i]!));
      expectClose(y, ref.gta(f64(base), [f64(a), f64(b), f64(c)], [0.6, 0.4, -0.3], { masks, consensus: true, normalize: true, rescale }), 0.02);
    }
  });

  it('breadcrumbs and breadcrumbs_ties: the outlier window', () => {
    for (const method of ['breadcrumbs', 'breadcrumbs_ties']) {
      const y = runEverywhere({
        method,
        inputs: [base, a, b],
        shape: [n],
        baseIndex: 0,
        perModel: [{}, { weight: 0.5, density: 0.6, gamma: 0.1 }, { weight: 0.5, density: 0.4, gamma: 0.05 }],
      });
      const deltas = [a, b].map((x) => f64(x).map((v, i) => Math.fround(v - base[i]!)));
      const masks = [ref.breadcrumbsMask(deltas[0]!, 0.6, 0.1), ref.breadcrumbsMask(deltas[1]!, 0.4, 0.05)];
      expectClose(y, ref.gta(f64(base), [f64(a), f64(b)], [0.5, 0.5], { masks, consensus: method === 'breadcrumbs_ties' }), 0.02);
    }
  });

  it('dare_ties and dare_linear against the same counter-based masks supplied to the reference', () => {
    for (const method of ['dare_ties', 'dare_linear']) {
      const perModel = [{ weight: 0.6, density: 0.5 }, {}, { weight: 0.4, density: 0.3 }];
      const y = runEverywhere({ method, inputs: [a, base, b], shape: [n], baseIndex: 1, perModel, seed: 7 });
      const tensor = job({ method, inputs: [], shape: [n] }).tensor;
      const masks = [0, 2].map((input) => {
        const density = perModel[input]!.density!;
        return Float64Array.from({ length: n }, (_, i) => (uniform(7, streamOf(tensor, input), i) < density ? 1 : 0));
      });
      expectClose(y, ref.gta(f64(base), [f64(a), f64(b)], [0.6, 0.4], { masks, consensus: method === 'dare_ties', rescale: true }), 0.02);
    }
  });

  it('multislerp, karcher and model_stock', () => {
    const w = [0.2, 0.5, 0.3];
    expectClose(runEverywhere({ method: 'multislerp', inputs: [a, b, c], shape: [n], perModel: weights(...w) }), ref.multislerp([f64(a), f64(b), f64(c)], w), 0.02);
    expectClose(
      runEverywhere({ method: 'multislerp', inputs: [base, a, b, c], shape: [n], baseIndex: 0, perModel: [{}, ...weights(...w)] }),
      ref.multislerp([f64(a), f64(b), f64(c)], w, f64(base)),
      0.02,
      2e-5,
    );
    expectClose(runEverywhere({ method: 'karcher', inputs: [a, b, unrelated], shape: [n] }), ref.karcher([f64(a), f64(b), f64(unrelated)]), 0.02);
    if (n > 1) {
      expectClose(runEverywhere({ method: 'model_stock', inputs: [base, a, b, c], shape: [n], baseIndex: 0 }), ref.modelStock(f64(base), [f64(a), f64(b), f64(c)]), 0.02);
    }
  });

  it('sce with and without variance selection', () => {
    for (const topk of [1, 0.5]) {
      const y = runEverywhere({ method: 'sce', inputs: [base, a, b, c], shape: [n], baseIndex: 0, globals: { select_topk: topk } });
      expectClose(y, ref.sce(f64(base), [f64(a), f64(b), f64(c)], topk), 0.02);
    }
  });
});

describe('row-wise methods on a 37 × 29 matrix', () => {
  const shape: [number, number] = [37, 29];
  const n = 37 * 29;
  const base = gaussian(11, n, 0.02);
  const tune = (seed: number) => {
    const noise = gaussian(seed, n, 0.006);
    return base.map((v, i) => v + noise[i]!);
  };
  const a = tune(12);
  const b = tune(13);
  const c = tune(14);

  it('nuslerp: flattened, per row, per column, with and without a base', () => {
    const t = 0.7 / (0.3 + 0.7);
    for (const [mode, globals] of [['flat', {}], ['rows', { nuslerp_flatten: false }], ['columns', { nuslerp_flatten: false, nuslerp_row_wise: true }]] as const) {
      const plain = runEverywhere({ method: 'nuslerp', inputs: [a, b], shape, globals, perModel: weights(0.3, 0.7) });
      expectClose(plain, ref.nuslerp(t, f64(a), f64(b), shape, mode), 0.02);
      const withBase = runEverywhere({ method: 'nuslerp', inputs: [base, a, b], shape, baseIndex: 0, globals, perModel: [{}, ...weights(0.3, 0.7)] });
      expectClose(withBase, ref.nuslerp(t, f64(a), f64(b), shape, mode, f64(base)), 0.02);
    }
  });

  it('model_stock filter-wise equals model_stock applied to each row', () => {
    const y = runEverywhere({ method: 'model_stock', inputs: [base, a, b, c], shape, baseIndex: 0, globals: { filter_wise: true } });
    for (let r = 0; r < 37; r++) {
      const row = (x: Float32Array) => f64(x.subarray(r * 29, r * 29 + 29));
      expectClose(y.subarray(r * 29, r * 29 + 29), ref.modelStock(row(base), [row(a), row(b), row(c)]), 0.02);
    }
  });

  it('della: keep probabilities rise with the rank of |δ| within each row, and results are chunk-independent', () => {
    const perModel = [{}, { weight: 1, density: 0.5, epsilon: 0.3 }];
    const y = runEverywhere({ method: 'della_linear', inputs: [base, a], shape, baseIndex: 0, perModel, globals: { rescale: false } });
    // Kept elements carry δ exactly; count kept by rank decile: the top tenth of each row is kept far more often.
    const keptByRank = [0, 0];
    for (let r = 0; r < 37; r++) {
      const idx = Array.from({ length: 29 }, (_, i) => r * 29 + i);
      const byMagnitude = idx.sort((p, q) => Math.abs(a[p]! - base[p]!) - Math.abs(a[q]! - base[q]!) || p - q);
      for (const [k, i] of byMagnitude.entries()) {
        const kept = y[i] !== base[i];
        if (kept && k < 6) keptByRank[0]! += 1;
        if (kept && k >= 23) keptByRank[1]! += 1;
      }
    }
    // Expected keep probability ≈ 0.2–0.28 for the lowest ranks and ≈ 0.72–0.8 for the highest.
    expect(keptByRank[1]! / (37 * 6)).toBeGreaterThan(0.6);
    expect(keptByRank[0]! / (37 * 6)).toBeLessThan(0.4);
  });
});

describe('DARE statistics and determinism', () => {
  const n = 50_000;
  const base = gaussian(21, n, 0.02);
  const noise = gaussian(22, n, 0.01);
  const a = base.map((v, i) => v + noise[i]!);

  it('keeps about `density` of the task vector and matches its L1 norm after rescaling', () => {
    const y = run({ method: 'dare_linear', inputs: [base, a], shape: [n], baseIndex: 0, perModel: [{}, { weight: 1, density: 0.3 }] }, 8192);
    let kept = 0;
    let l1 = 0;
    let l1Merged = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] !== base[i]) kept += 1;
      l1 += Math.abs(Math.fround(a[i]! - base[i]!));
      l1Merged += Math.abs(y[i]! - base[i]!);
    }
    // Binomial(50 000, 0.3): standard deviation ≈ 102 elements, so ±1 % (500) is ~5 sigma.
    expect(Math.abs(kept / n - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(l1Merged / l1 - 1)).toBeLessThan(1e-3);
  });

  it('is the same on every run and differs with the seed', () => {
    const c = { method: 'dare_ties', inputs: [base, a], shape: [n], baseIndex: 0, perModel: [{}, { weight: 1, density: 0.5 }] };
    const first = run({ ...c, seed: 1 }, 4096);
    expect(Buffer.from(run({ ...c, seed: 1 }, 999).buffer).equals(Buffer.from(first.buffer))).toBe(true);
    expect(Buffer.from(run({ ...c, seed: 2 }, 4096).buffer).equals(Buffer.from(first.buffer))).toBe(false);
  });
});

describe('edge rules', () => {
  const base = gaussian(31, 64, 0.02);
  const a = base.map((v) => v * 1.0001);

  it('slerp falls back to lerp for (nearly) colinear tensors', () => {
    const y = run({ method: 'slerp', inputs: [base, a], shape: [64], baseIndex: 0, globals: { t: 0.25 } }, 64);
    expectClose(y, Float64Array.from(base, (v, i) => 0.75 * v + 0.25 * a[i]!), 0.02);
  });

  it('methods with fewer inputs than usual return the remaining tensor', () => {
    expect([...run({ method: 'slerp', inputs: [base], shape: [64], baseIndex: 0, globals: { t: 0.5 } }, 64)]).toEqual([...base]);
    expect([...run({ method: 'ties', inputs: [base], shape: [64], baseIndex: 0 }, 64)]).toEqual([...base]);
    expect([...run({ method: 'nearswap', inputs: [base], shape: [64], baseIndex: 0, globals: { t: 1 } }, 64)]).toEqual([...base]);
    expect([...run({ method: 'karcher', inputs: [a], shape: [64] }, 64)]).toEqual([...a]);
  });

  it('TIES of one task vector (its own loop) gives the bits of the general loop: a third model equal to the base adds nothing', () => {
    const tuned = Float32Array.from(a, (v, i) => (i % 9 === 0 ? base[i]! : v));
    for (const globals of [{ lambda: 0.7 }, { lambda: 1.3, normalize: false }]) {
      const two = run({ method: 'ties', inputs: [base, tuned], shape: [64], baseIndex: 0, globals, perModel: [{}, { weight: 0.6, density: 0.5 }] }, 64);
      const three = run({ method: 'ties', inputs: [base, tuned, base], shape: [64], baseIndex: 0, globals, perModel: [{}, { weight: 0.6, density: 0.5 }, { weight: 0.3, density: 0.5 }] }, 64);
      expect(Buffer.from(two.buffer).equals(Buffer.from(three.buffer))).toBe(true);
    }
  });

  it('top-k ties are broken by element index: the lowest indices are kept', () => {
    const flat = new Float32Array(10).fill(0);
    const tuned = Float32Array.from([1, 1, 1, 1, 2, 1, 1, 1, 1, 1]);
    const y = run({ method: 'ties', inputs: [flat, tuned], shape: [10], baseIndex: 0, perModel: [{}, { weight: 1, density: 0.3 }] }, 3);
    expect([...y]).toEqual([1, 1, 0, 0, 2, 0, 0, 0, 0, 0]);
  });

  it('passthrough scales', () => {
    expect([...run({ method: 'passthrough', inputs: [Float32Array.from([1, -2])], shape: [2], perModel: [{ scale: 0.5 }] }, 2)]).toEqual([0.5, -1]);
  });

  it('rejects DELLA densities that leave no room for epsilon', () => {
    expect(() => run({ method: 'della', inputs: [base, a], shape: [64], baseIndex: 0, perModel: [{}, { weight: 1, density: 0.9, epsilon: 0.15 }] }, 64)).toThrow(/DELLA needs/);
  });
});
