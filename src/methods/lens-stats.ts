/**
 * The weight lens's per-tensor statistics: float64 sums over element pairs (a, b) — ‖a‖², ‖b‖², a·b, ‖b − a‖²,
 * ‖b‖² − ‖a‖² and NearSwap's share at a given t — and the metrics derived from them. Fast mode sums a random sample of equal row
 * segments; the standard errors of its metrics come from the spread of the per-segment sums (delta method, with the
 * finite-population correction for sampling without replacement). Pure: the caller reads and decodes the values.
 */
import { nearSwapShare } from './nearswap-share';

/** Sums over some elements of a tensor pair (all in float64). */
export interface LensSums {
  elements: number;
  aa: number;
  bb: number;
  ab: number;
  /** Σ(b − a)², summed directly (not from the other sums), so identical tensors give exactly 0. */
  dd: number;
  /**
   * Σ(b² − a²), summed directly as Σ(b − a)(b + a): with `dd` it gives 1 − cos of near-parallel tensors without the
   * cancellation of 1 − a·b / (‖a‖‖b‖) (see {@link metricsOf}).
   */
  squaresGap: number;
  /** NearSwap: elements taken entirely from b (w = 1), and Σw. Zero without a t. */
  swapped: number;
  weightSum: number;
}

export function emptySums(): LensSums {
  return { elements: 0, aa: 0, bb: 0, ab: 0, dd: 0, squaresGap: 0, swapped: 0, weightSum: 0 };
}

/** Adds the element pairs of `a` and `b` (equal lengths) to `sums`; with `t`, NearSwap's share too. */
export function accumulate(sums: LensSums, a: Float32Array, b: Float32Array, t?: number): void {
  if (a.length !== b.length) throw new RangeError(`accumulate: lengths differ (${a.length} vs ${b.length})`);
  let aa = 0;
  let bb = 0;
  let ab = 0;
  let dd = 0;
  let gap = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    const d = y - x;
    aa += x * x;
    bb += y * y;
    ab += x * y;
    dd += d * d;
    gap += d * (x + y);
  }
  sums.aa += aa;
  sums.bb += bb;
  sums.ab += ab;
  sums.dd += dd;
  sums.squaresGap += gap;
  sums.elements += a.length;
  if (t !== undefined && a.length > 0) {
    const share = nearSwapShare([[a, b]], t);
    sums.swapped += Math.round(share.swapped * share.elements);
    sums.weightSum += share.meanWeight * share.elements;
  }
}

export function addSums(into: LensSums, from: LensSums): void {
  into.elements += from.elements;
  into.aa += from.aa;
  into.bb += from.bb;
  into.ab += from.ab;
  into.dd += from.dd;
  into.squaresGap += from.squaresGap;
  into.swapped += from.swapped;
  into.weightSum += from.weightSum;
}

/** `sums` multiplied by `factor` (a sample's sums scaled up to the whole tensor). */
export function scaleSums(sums: LensSums, factor: number): LensSums {
  return {
    elements: sums.elements * factor,
    aa: sums.aa * factor,
    bb: sums.bb * factor,
    ab: sums.ab * factor,
    dd: sums.dd * factor,
    squaresGap: sums.squaresGap * factor,
    swapped: sums.swapped * factor,
    weightSum: sums.weightSum * factor,
  };
}

export interface LensMetrics {
  readonly norm_a: number;
  readonly norm_b: number;
  /** a·b / (‖a‖‖b‖); null where a norm is 0. */
  readonly cosine: number | null;
  /** ‖b − a‖ / ‖a‖; null where ‖a‖ is 0. */
  readonly relative_difference: number | null;
  /** The angle SLERP turns through, acos(cosine), in degrees; null with the cosine. */
  readonly angle_degrees: number | null;
  /** NearSwap at t: the share of elements taken entirely from b, and the mean weight w; null without a t. */
  readonly nearswap_swapped: number | null;
  readonly nearswap_mean_weight: number | null;
}

export type MetricName = keyof LensMetrics;
export const METRIC_NAMES: readonly MetricName[] = ['norm_a', 'norm_b', 'cosine', 'relative_difference', 'angle_degrees', 'nearswap_swapped', 'nearswap_mean_weight'];

/** Standard errors of the fast mode's estimates (0 for what was read whole), null where the metric is. */
export type LensErrors = { readonly [K in MetricName]: number | null };

const DEGREES = 180 / Math.PI;

/**
 * 1 − cos of the angle between a and b, or null where a norm is 0. Near-parallel tensors (‖b − a‖² below both norms²)
 * take it from the directly summed differences, 2‖a‖‖b‖(1 − cos) = ‖b − a‖² − (‖b‖ − ‖a‖)² with
 * ‖b‖ − ‖a‖ = Σ(b² − a²) / (‖a‖ + ‖b‖), which keeps its relative precision when a·b / (‖a‖‖b‖) rounds to 1; others
 * from a·b.
 */
function oneMinusCosine(sums: LensSums, na: number, nb: number): number | null {
  if (!(na > 0 && nb > 0)) return null;
  const nearParallel = sums.dd < Math.min(sums.aa, sums.bb);
  const gap = sums.squaresGap / (na + nb);
  const value = nearParallel ? (sums.dd - gap * gap) / (2 * na * nb) : 1 - sums.ab / (na * nb);
  return Math.min(2, Math.max(0, value));
}

/** The metrics of (whole-tensor or scaled) sums. `withNearSwap`: whether the sums carry NearSwap's share. */
export function metricsOf(sums: LensSums, withNearSwap: boolean): LensMetrics {
  const na = Math.sqrt(sums.aa);
  const nb = Math.sqrt(sums.bb);
  const delta = oneMinusCosine(sums, na, nb);
  const share = withNearSwap && sums.elements > 0;
  return {
    norm_a: na,
    norm_b: nb,
    cosine: delta === null ? null : 1 - delta,
    relative_difference: na > 0 ? Math.sqrt(sums.dd) / na : null,
    // 1 − cos θ = 2 sin²(θ / 2): the angle keeps the precision of 1 − cos where acos(cos) would lose it.
    angle_degrees: delta === null ? null : 2 * Math.asin(Math.sqrt(delta / 2)) * DEGREES,
    nearswap_swapped: share ? sums.swapped / sums.elements : null,
    nearswap_mean_weight: share ? sums.weightSum / sums.elements : null,
  };
}

/** The statistics of one sampled row, in this order, for the covariance. */
const FIELDS = ['aa', 'bb', 'ab', 'dd', 'swapped', 'weightSum'] as const;

/**
 * Estimates from `rows`, a simple random sample (without replacement) of equally long rows out of `totalRows`: the
 * metrics of the sample sums scaled to the tensor, and each metric's standard error by the delta method, from the
 * sample covariance of the per-row sums times the finite-population correction (1 − m/R) / m.
 */
export function sampledMetrics(rows: readonly LensSums[], totalRows: number, withNearSwap: boolean): { metrics: LensMetrics; errors: LensErrors } {
  const m = rows.length;
  const total = emptySums();
  for (const row of rows) addSums(total, row);
  const metrics = metricsOf(scaleSums(total, totalRows / Math.max(m, 1)), withNearSwap);
  if (m === 0) return { metrics, errors: exactErrors(metrics) };
  const mean = FIELDS.map((f) => total[f] / m);
  // Covariance of the sample mean of the per-row sums.
  const scale = m > 1 ? Math.max(0, 1 - m / totalRows) / (m * (m - 1)) : 0;
  const cov = FIELDS.map((_, i) => FIELDS.map((__, j) => scale * rows.reduce((s, r) => s + (r[FIELDS[i] as (typeof FIELDS)[number]] - (mean[i] as number)) * (r[FIELDS[j] as (typeof FIELDS)[number]] - (mean[j] as number)), 0)));
  const se = (gradient: readonly number[]): number => {
    let v = 0;
    for (let i = 0; i < gradient.length; i++) for (let j = 0; j < gradient.length; j++) v += (gradient[i] as number) * (gradient[j] as number) * ((cov[i] as number[])[j] as number);
    return Math.sqrt(Math.max(0, v));
  };
  const [aa, bb, , dd] = mean as [number, number, number, number, number, number];
  const rowLength = total.elements / m;
  const errors: Record<MetricName, number | null> = {
    // ‖a‖ = √(R·ā): d/dā = R / (2‖a‖).
    norm_a: metrics.norm_a > 0 ? se([totalRows / (2 * metrics.norm_a)]) : 0,
    norm_b: metrics.norm_b > 0 ? se([0, totalRows / (2 * metrics.norm_b)]) : 0,
    cosine: null,
    relative_difference: null,
    angle_degrees: null,
    nearswap_swapped: withNearSwap ? se([0, 0, 0, 0, 1 / rowLength]) : null,
    nearswap_mean_weight: withNearSwap ? se([0, 0, 0, 0, 0, 1 / rowLength]) : null,
  };
  const cos = metrics.cosine;
  if (cos !== null) {
    // cos = āb / √(āā·b̄b).
    errors.cosine = se([-cos / (2 * aa), -cos / (2 * bb), 1 / Math.sqrt(aa * bb)]);
    const sin = Math.sqrt(Math.max(1 - cos * cos, 0));
    // Linearised se / sin θ, capped by √(2·se): acos moves by at most that much for a change se of its argument.
    const linear = sin > 0 ? errors.cosine / sin : Infinity;
    errors.angle_degrees = Math.min(linear, Math.sqrt(2 * errors.cosine)) * DEGREES;
  }
  const rel = metrics.relative_difference;
  // With Σ(b − a)² = 0 in every sampled row the rows do not vary: the estimate has no spread to report.
  if (rel !== null) errors.relative_difference = dd > 0 ? se([-rel / (2 * aa), 0, 0, rel / (2 * dd)]) : 0;
  return { metrics, errors };
}

/** Errors for metrics read whole: 0 where the metric has a value, null where it has none. */
export function exactErrors(metrics: LensMetrics): LensErrors {
  const out: Record<MetricName, number | null> = { ...metrics };
  for (const name of METRIC_NAMES) out[name] = metrics[name] === null ? null : 0;
  return out;
}
