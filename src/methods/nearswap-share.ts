/**
 * How far a NearSwap merge moves the base at a given `t`, measured on sampled tensors (mergekit-spec §3.11:
 * w = clamp(t / max(|b − x|, 1e-6), 0, 1)). Pure: the caller reads and decodes the samples.
 */

export interface NearSwapShare {
  /** Share of elements taken entirely from the other model (w = 1). */
  readonly swapped: number;
  /** Mean interpolation weight w over all sampled elements. */
  readonly meanWeight: number;
  readonly elements: number;
}

/** Aggregates over tensor pairs (base, other) of equal length; pairs of different length are a caller error. */
export function nearSwapShare(pairs: readonly (readonly [Float32Array, Float32Array])[], t: number): NearSwapShare {
  let swapped = 0;
  let sum = 0;
  let elements = 0;
  for (const [base, other] of pairs) {
    if (base.length !== other.length) throw new RangeError(`nearSwapShare: sample lengths differ (${base.length} vs ${other.length})`);
    for (let i = 0; i < base.length; i++) {
      const w = Math.min(Math.max(t / Math.max(Math.abs((base[i] as number) - (other[i] as number)), 1e-6), 0), 1);
      if (w === 1) swapped++;
      sum += w;
    }
    elements += base.length;
  }
  return elements === 0 ? { swapped: 0, meanWeight: 0, elements: 0 } : { swapped: swapped / elements, meanWeight: sum / elements, elements };
}

/** `count` values spread evenly on a log scale between `min` and `max` (the slider's stops). */
export function logSteps(min: number, max: number, count: number): number[] {
  const a = Math.log10(min);
  const b = Math.log10(max);
  return Array.from({ length: count }, (_, i) => 10 ** (a + ((b - a) * i) / (count - 1)));
}
