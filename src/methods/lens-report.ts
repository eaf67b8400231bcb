/**
 * What a weight lens reports (plain data: it crosses `postMessage` and is the CLI's JSON): per tensor, the metrics of
 * `lens-stats.ts`, their standard errors, and the sums behind them. Computed by `engine/lens.ts`.
 */
import type { LensErrors, LensMetrics, LensSums } from './lens-stats';

/** Fast: a sample of rows of each large tensor, with standard errors. Exact: every element. */
export type LensMode = 'fast' | 'exact';

export interface LensTensor extends LensMetrics {
  readonly name: string;
  readonly shape: readonly number[];
  /** Elements sampled (in row segments), or null when every element was read. */
  readonly sampled_elements: number | null;
  /** Standard error of each estimate (0 where every element was read). */
  readonly standard_error: LensErrors;
  /** The sums behind the metrics (scaled to the whole tensor in fast mode), for combining tensors. */
  readonly sums: LensSums;
}

export interface LensReport {
  readonly a: string;
  readonly b: string;
  readonly mode: LensMode;
  /** What computed the sums ("CPU", "WebGPU: <adapter>"). */
  readonly backend: string;
  readonly nearswap_t: number | null;
  readonly tensors: readonly LensTensor[];
  /** Tensors left out, with why (missing in one model, shapes differ, not floating point). */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  readonly seconds: number;
}
