/** What the task-vector kernels are told: the models, their masks and windows (shared by the merge and mask kernels). */

/** One non-base model of a task-vector merge, as the shaders see it. */
export interface TaskVectorModel {
  /** Its index among the inputs. */
  readonly input: number;
  readonly stream: number;
  /** Keep when the element's random bits are below this (ignored when keepAll or window). */
  readonly threshold: number;
  readonly keepAll: boolean;
  /** Its mask comes from the masks buffer: an exact top-k selection ({@link WindowSpec}) or DELLA ranks. */
  readonly window: boolean;
  readonly weight: number;
  /** DARE's L1 rescale factor, set after the rescale pass. */
  scale: number;
}

/** One model's top-k window as far as the counting passes have found it (see methods/rank-window.ts). */
export interface WindowSpec {
  readonly active: boolean;
  readonly lower?: { readonly bucket: number; readonly key?: number; readonly skip?: number } | undefined;
  readonly upper?: { readonly bucket: number; readonly key?: number; readonly limit?: number } | undefined;
}

export interface TaskVectorSpec {
  readonly base: number;
  readonly models: readonly TaskVectorModel[];
  readonly seed: number;
  readonly consensus: boolean;
  readonly normalize: boolean;
  readonly lambda: number;
  /** Divisor of the plain (no consensus) normalised sum. */
  readonly plainDivisor: number;
  /** DELLA: masks ranked within rows; `thresholds[m·rowLength + rank]` is model m's keep threshold at that rank. */
  readonly della?: { readonly rowLength: number; readonly thresholds: Uint32Array };
  /**
   * SCE (methods/sce.ts): windows rank the variance of the task vectors across models, the rescale pass sums δ², and
   * the merge votes with unweighted task vectors and divides by at least 1e-6.
   */
  readonly sce?: boolean;
  /** The models' windows, when some model's mask is a top-k selection. */
  readonly windows?: {
    readonly specs: readonly WindowSpec[];
    /** Rank keys by descending magnitude (TIES) or ascending (breadcrumbs). */
    readonly descending: boolean;
    /** Per model and boundary (2m + b): equal-key elements seen before this sub-chunk. */
    readonly seen: Uint32Array;
  };
}
