/**
 * Gram matrices G[i][j] = vᵢ·vⱼ accumulated in f64 over chunks, for the methods that only need inner products of
 * whole tensors (multislerp, karcher, model_stock, nuslerp): one reduction pass, then a tiny computation on the host.
 * Vectors are the inputs themselves, or their offsets from a base when `base` is given.
 */
export class Gram {
  readonly values: Float64Array;

  constructor(readonly size: number) {
    this.values = new Float64Array(size * size);
  }

  add(inputs: readonly Float32Array[], members: readonly number[], base: number | undefined, from = 0, to = inputs[0]?.length ?? 0): void {
    const k = members.length;
    const v = new Float64Array(k);
    const b = base === undefined ? undefined : (inputs[base] as Float32Array);
    for (let e = from; e < to; e++) {
      const offset = b === undefined ? 0 : (b[e] as number);
      for (let m = 0; m < k; m++) v[m] = (inputs[members[m] as number]![e] as number) - offset;
      for (let i = 0; i < k; i++) {
        const vi = v[i] as number;
        for (let j = i; j < k; j++) this.values[i * k + j]! += vi * (v[j] as number);
      }
    }
  }

  get(i: number, j: number): number {
    return this.values[Math.min(i, j) * this.size + Math.max(i, j)] as number;
  }

  reset(): void {
    this.values.fill(0);
  }
}
