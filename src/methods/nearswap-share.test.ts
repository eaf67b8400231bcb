import { describe, expect, it } from 'vitest';

import { logSteps, nearSwapShare } from './nearswap-share';

describe('nearSwapShare', () => {
  it('matches hand-computed weights', () => {
    // |b − x| = 0, 0.001, 0.01, 0.1 ; t = 0.01 → w = 1 (1e-6 floor), 1, 1, 0.1
    const base = new Float32Array([1, 1, 1, 1]);
    const other = new Float32Array([1, 1.0009765625, 1.0078125, 1.125]);
    // exact f32 diffs: 0, 0.0009765625, 0.0078125, 0.125 → w = 1, 1, 1, 0.08
    const r = nearSwapShare([[base, other]], 0.01);
    expect(r.elements).toBe(4);
    expect(r.swapped).toBe(0.75);
    expect(r.meanWeight).toBeCloseTo((3 + 0.08) / 4, 12);
  });

  it('aggregates over several tensors and shrinks with t', () => {
    const a: [Float32Array, Float32Array] = [new Float32Array([0, 0]), new Float32Array([0.5, -0.25])];
    const b: [Float32Array, Float32Array] = [new Float32Array([2]), new Float32Array([2])];
    // t = 0.25: w = 0.5, 1 | 1 → swapped 2/3, mean 2.5/3
    const r = nearSwapShare([a, b], 0.25);
    expect(r.swapped).toBeCloseTo(2 / 3, 12);
    expect(r.meanWeight).toBeCloseTo(2.5 / 3, 12);
    expect(nearSwapShare([a, b], 1e-6).swapped).toBeCloseTo(1 / 3, 12);
    expect(nearSwapShare([], 0.1)).toEqual({ swapped: 0, meanWeight: 0, elements: 0 });
    expect(() => nearSwapShare([[new Float32Array(1), new Float32Array(2)]], 0.1)).toThrow(RangeError);
  });

  it('log steps span the range', () => {
    const s = logSteps(1e-6, 1e-1, 6);
    expect(s).toHaveLength(6);
    s.forEach((v, i) => expect(v).toBeCloseTo(10 ** (i - 6), 15));
  });
});
