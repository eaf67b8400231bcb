import { describe, expect, it } from 'vitest';

import { accumulate, emptySums, metricsOf, sampledMetrics } from './lens-stats';
import type { LensSums } from './lens-stats';
import { nearSwapShare } from './nearswap-share';

/** A seeded normal-ish generator (sum of uniforms), so every run draws the same numbers. */
function generator(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return () => uniform() + uniform() + uniform() + uniform() - 2;
}

function pair(n: number, seed: number, noise: number): [Float32Array, Float32Array] {
  const g = generator(seed);
  const a = Float32Array.from({ length: n }, () => g() * 0.02);
  const b = Float32Array.from(a, (x) => x + g() * 0.02 * noise);
  return [a, b];
}

/** The metrics straight from their definitions, in float64. */
function reference(a: Float32Array, b: Float32Array, t: number) {
  let aa = 0;
  let bb = 0;
  let ab = 0;
  let dd = 0;
  for (let i = 0; i < a.length; i++) {
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
    ab += a[i]! * b[i]!;
    dd += (b[i]! - a[i]!) ** 2;
  }
  const cosine = ab / Math.sqrt(aa * bb);
  const share = nearSwapShare([[a, b]], t);
  return { norm_a: Math.sqrt(aa), norm_b: Math.sqrt(bb), cosine, relative_difference: Math.sqrt(dd / aa), angle_degrees: (Math.acos(cosine) * 180) / Math.PI, nearswap_swapped: share.swapped, nearswap_mean_weight: share.meanWeight };
}

describe('lens statistics', () => {
  it('match float64 definitions, summed in chunks', () => {
    const [a, b] = pair(10_001, 7, 0.3);
    const sums = emptySums();
    for (let start = 0; start < a.length; start += 999) accumulate(sums, a.subarray(start, start + 999), b.subarray(start, start + 999), 0.004);
    const metrics = metricsOf(sums, true);
    const expected = reference(a, b, 0.004);
    for (const [name, value] of Object.entries(expected)) {
      expect(Math.abs((metrics[name as keyof typeof expected] as number) - value), name).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(value)));
    }
    expect(metrics.nearswap_swapped).toBeGreaterThan(0);
    expect(metrics.nearswap_swapped).toBeLessThan(1);
  });

  it('give null cosine and relative difference where a norm is 0, and 0 for identical tensors', () => {
    const zero = new Float32Array(16);
    const [a] = pair(16, 3, 0);
    const sums = emptySums();
    accumulate(sums, zero, a);
    expect(metricsOf(sums, false)).toMatchObject({ norm_a: 0, cosine: null, relative_difference: null, angle_degrees: null, nearswap_swapped: null });
    const same = emptySums();
    accumulate(same, a, a);
    const m = metricsOf(same, false);
    expect(m.relative_difference).toBe(0);
    expect(m.cosine).toBeCloseTo(1, 15);
  });

  it('estimate from sampled rows with standard errors that match the spread over many samples', () => {
    const rowsTotal = 400;
    const rowLength = 64;
    const population: LensSums[] = [];
    for (let r = 0; r < rowsTotal; r++) {
      // Rows differ in scale, so the per-row sums really vary.
      const [a, b] = pair(rowLength, 100 + r, 0.2 + (r % 7) * 0.1);
      const sums = emptySums();
      accumulate(sums, a, b, 0.002);
      population.push(sums);
    }
    const truth = emptySums();
    for (const row of population) for (const key of Object.keys(truth) as (keyof LensSums)[]) truth[key] += row[key];
    const exact = metricsOf(truth, true);
    const metrics = ['norm_a', 'cosine', 'relative_difference', 'angle_degrees', 'nearswap_swapped'] as const;
    const draws = 300;
    const m = 16;
    const g = generator(99);
    const estimates: Record<string, number[]> = {};
    const errors: Record<string, number[]> = {};
    for (let d = 0; d < draws; d++) {
      const picked = new Set<number>();
      while (picked.size < m) picked.add(Math.floor(((g() + 2) / 4) * rowsTotal) % rowsTotal);
      const { metrics: est, errors: se } = sampledMetrics([...picked].map((i) => population[i]!), rowsTotal, true);
      for (const name of metrics) {
        (estimates[name] ??= []).push(est[name]!);
        (errors[name] ??= []).push(se[name]!);
      }
    }
    for (const name of metrics) {
      const values = estimates[name]!;
      const mean = values.reduce((s, v) => s + v, 0) / draws;
      const spread = Math.sqrt(values.reduce((s, v) => s + (v - exact[name]!) ** 2, 0) / draws);
      const stated = errors[name]!.reduce((s, v) => s + v, 0) / draws;
      // The stated error is the real spread of the estimates to within a third, and the estimates centre on the truth.
      expect(stated / spread, name).toBeGreaterThan(0.67);
      expect(stated / spread, name).toBeLessThan(1.5);
      expect(Math.abs(mean - exact[name]!), name).toBeLessThan(spread);
    }
  });

  it('state no error when every row is sampled', () => {
    const rows = [0, 1, 2].map((r) => {
      const [a, b] = pair(32, r, 0.5);
      const sums = emptySums();
      accumulate(sums, a, b);
      return sums;
    });
    const { errors } = sampledMetrics(rows, 3, false);
    expect(errors.cosine).toBe(0);
    expect(errors.norm_a).toBe(0);
    expect(errors.nearswap_swapped).toBeNull();
  });
});
