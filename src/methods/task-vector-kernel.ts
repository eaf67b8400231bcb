/**
 * The generalised task-arithmetic kernel behind task_arithmetic, ties, dare_*, breadcrumbs* and della*
 * (mergekit-spec §3.7): task vectors δ_i = x_i − b (computed in f32, as the GPU does), sparsified per model, optionally
 * L1-rescaled, weighted, combined with or without TIES sign consensus, normalised, scaled by λ, added to the base.
 *
 * Passes: magnitude and outlier sparsifiers select exactly with a {@link RankWindow} (2 passes); `rescale` adds one pass
 * for the L1 norms before and after masking. Random masks (DARE, DELLA) are regenerated from the counter-based hash in
 * each pass, so no mask is stored. DELLA ranks within rows, so its chunks are whole rows.
 *
 * Deliberate difference from mergekit: breadcrumbs with ⌊γN⌋ = 0 keeps the window `[n_bot, N)` instead of dropping the
 * whole task vector (mergekit's negative-index slice bug, spec §3.7; it only bites tensors with N < 1/γ elements).
 */
import { AppError } from '../shared/errors';
import type { MethodKernel, MergeJob, ParamValue, TensorMerger } from './kernel';
import { boolParam, copyInput, numberParam, otherIndexes, rowLengthOf } from './kernel';
import { streamOf, uniform } from './random';
import { RankWindow, descendingMagnitudeKeys, magnitudeKeys } from './rank-window';
import type { TaskVectorConfig } from './task-vector-family';

/** Below this L1 norm (before or after masking) rescaling is skipped (mergekit's guard). */
const RESCALE_EPS = 1e-7;
/** Without consensus a weight sum below this is treated as 1 (mergekit's guard). */
const DIVISOR_EPS = 1e-8;

interface ModelState {
  readonly input: number;
  readonly weight: number;
  readonly density: number;
  readonly window: RankWindow | undefined;
  readonly stream: number;
  readonly epsilon: number;
  l1Before: number;
  l1After: number;
  scale: number;
}

/**
 * The exact selection of magnitude sparsifiers, as a window of ascending key ranks: TIES keeps ranks [0, ⌊ρN⌋) of
 * descending-magnitude keys; breadcrumbs keeps [n_bot, N − n_top) of ascending ones. Undefined when nothing is ranked.
 */
export function rankWindowOf(config: TaskVectorConfig, params: Readonly<Record<string, ParamValue>>, n: number): RankWindow | undefined {
  const density = numberParam(params, 'density', 1);
  if (density < 1 && config.sparsification === 'magnitude') return new RankWindow(n, 0, Math.floor(density * n));
  if (density < 1 && config.sparsification === 'magnitude_outliers') {
    const keep = Math.floor(density * n);
    let top = Math.floor(numberParam(params, 'gamma', 0.01) * n);
    let bottom = n - keep - top;
    if (bottom < 0) {
      top += bottom;
      bottom = 0;
    }
    return new RankWindow(n, bottom, n - top);
  }
  return undefined;
}

/** Whether rank keys are descending magnitudes (TIES) rather than ascending ones (breadcrumbs). */
export const descendingKeys = (config: TaskVectorConfig): boolean => config.sparsification === 'magnitude';

/** DARE's L1 rescale factor of one task vector: ‖δ‖₁ / ‖mask·δ‖₁, or 1 when either norm is below 1e-7. */
export function rescaleFactor(l1Before: number, l1After: number): number {
  return l1Before < RESCALE_EPS || l1After < RESCALE_EPS ? 1 : l1Before / l1After;
}

/** The divisor of a normalised merge without consensus: the weight sum, or 1 when it is below 1e-8 in size. */
export function plainTaskDivisor(weights: readonly number[]): number {
  const sum = weights.reduce((s, w) => s + w, 0);
  return Math.abs(sum) < DIVISOR_EPS ? 1 : sum;
}

export function taskVectorKernel(config: TaskVectorConfig): MethodKernel {
  return (job, inputCount) => {
    const base = job.baseIndex;
    if (base === undefined) throw new AppError('E_INTERNAL', `${job.tensor}: task-vector merges need a base input.`);
    const others = otherIndexes(job, inputCount);
    if (others.length === 0) return copyInput(base);
    return new TaskVectorMerger(config, job, base, others);
  };
}

class TaskVectorMerger implements TensorMerger {
  readonly passes: number;
  readonly rowLength: number | undefined;
  private readonly models: ModelState[];
  private readonly selectPasses: number;
  private readonly rescale: boolean;
  private readonly normalize: boolean;
  private readonly lambda: number;
  private scratch = new Float32Array(0);
  private keys = new Uint32Array(0);
  private masks: Uint8Array[] = [];
  private weighted: Float64Array[] = [];

  constructor(
    private readonly config: TaskVectorConfig,
    private readonly job: MergeJob,
    private readonly base: number,
    others: readonly number[],
  ) {
    this.rescale = boolParam(job.globals, 'rescale', config.rescale);
    this.normalize = boolParam(job.globals, 'normalize', config.normalize);
    this.lambda = numberParam(job.globals, 'lambda', 1);
    this.models = others.map((input) => this.modelState(input));
    this.selectPasses = this.models.some((m) => m.window?.needsPasses === true) ? 2 : 0;
    const sparsifies = this.models.some((m) => m.density < 1) && config.sparsification !== 'none';
    this.passes = this.selectPasses + (this.rescale && sparsifies ? 1 : 0);
    this.rowLength = config.sparsification === 'della_magprune' ? rowLengthOf(job) : undefined;
  }

  private modelState(input: number): ModelState {
    const params = this.job.perModel[input] ?? {};
    const density = numberParam(params, 'density', 1);
    const weight = numberParam(params, 'weight');
    const n = this.job.numel;
    const window = rankWindowOf(this.config, params, n);
    const epsilon = numberParam(params, 'epsilon', 0.15);
    if (this.config.sparsification === 'della_magprune' && density < 1 && density > 0 && !(density - epsilon > 0 && density + epsilon < 1)) {
      throw new AppError('E_RECIPE_INVALID', `DELLA needs 0 < density − epsilon and density + epsilon < 1, but density is ${density} and epsilon ${epsilon} (tensor ${this.job.tensor}).`, {
        context: { tensor: this.job.tensor },
        hint: 'Lower epsilon or move density towards 0.5.',
      });
    }
    return { input, weight, density, window, stream: streamOf(this.job.tensor, input), epsilon, l1Before: 0, l1After: 0, scale: 1 };
  }

  reduce(pass: number, inputs: readonly Float32Array[], start: number): void {
    const b = inputs[this.base] as Float32Array;
    for (const model of this.models) {
      const delta = this.delta(inputs[model.input] as Float32Array, b);
      if (pass < this.selectPasses) {
        if (model.window?.needsPasses !== true) continue;
        this.keyInto(delta);
        model.window.count(pass as 0 | 1, this.keys.subarray(0, delta.length));
        continue;
      }
      const mask = this.maskInto(model, delta, start, 0);
      for (let i = 0; i < delta.length; i++) {
        const d = Math.abs(delta[i] as number);
        model.l1Before += d;
        if (mask[i] === 1) model.l1After += d;
      }
    }
  }

  endPass(pass: number): void {
    for (const model of this.models) {
      if (pass < this.selectPasses) {
        if (model.window?.needsPasses === true) model.window.endPass(pass as 0 | 1);
        if (pass === this.selectPasses - 1) model.window?.restart();
        continue;
      }
      model.scale = rescaleFactor(model.l1Before, model.l1After);
      model.window?.restart();
    }
  }

  apply(inputs: readonly Float32Array[], start: number, out: Float32Array): void {
    const b = inputs[this.base] as Float32Array;
    const n = out.length;
    const weighted = this.models.map((model, m) => this.weightedInto(model, m, inputs, b, start, n));
    const lambda = this.lambda;
    const normalize = this.normalize;
    if (!this.config.consensus) {
      // Σ w_i·δ'_i in model order, divided by the weight sum when normalising.
      const divisor = normalize ? plainTaskDivisor(this.models.map((m) => m.weight)) : 1;
      for (let i = 0; i < n; i++) {
        let mixed = 0;
        for (const w of weighted) mixed += w[i] as number;
        if (normalize) mixed /= divisor;
        out[i] = (b[i] as number) + mixed * lambda;
      }
      return;
    }
    if (weighted.length === 1) {
      this.applyOneConsensus(weighted[0] as Float64Array, b, out);
      return;
    }
    const weights = Float64Array.from(this.models, (m) => m.weight);
    const count = weighted.length;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let m = 0; m < count; m++) sum += (weighted[m] as Float64Array)[i] as number;
      // TIES: the sign of the sum elects; entries of that sign (not zero) are mixed and their weights divide.
      const up = sum >= 0;
      let mixed = 0;
      let divisor = 0;
      for (let m = 0; m < count; m++) {
        const w = (weighted[m] as Float64Array)[i] as number;
        if (up ? w > 0 : w < 0) {
          mixed += w;
          divisor += weights[m] as number;
        }
      }
      if (normalize) mixed /= divisor === 0 ? 1 : divisor;
      out[i] = (b[i] as number) + mixed * lambda;
    }
  }

  /**
   * TIES consensus of a single task vector (two-model TIES; a loop of its own, about 10 % faster on one thread): it
   * agrees with itself wherever it is not zero (or NaN), and there its own weight divides.
   */
  private applyOneConsensus(w: Float64Array, b: Float32Array, out: Float32Array): void {
    const weight = (this.models[0] as ModelState).weight;
    const divisor = this.normalize && weight !== 0 ? weight : 1;
    const lambda = this.lambda;
    for (let i = 0; i < out.length; i++) {
      const v = w[i] as number;
      out[i] = (b[i] as number) + (v > 0 || v < 0 ? v / divisor : 0) * lambda;
    }
  }

  /** w_i · δ'_i of model `m` for this chunk (δ' = masked, rescaled task vector; 0 where masked), in f64. */
  private weightedInto(model: ModelState, m: number, inputs: readonly Float32Array[], b: Float32Array, start: number, n: number): Float64Array {
    const delta = this.delta(inputs[model.input] as Float32Array, b);
    const mask = this.maskInto(model, delta, start, m);
    while (this.weighted.length <= m) this.weighted.push(new Float64Array(0));
    if (this.weighted[m]!.length < n) this.weighted[m] = new Float64Array(n);
    const into = this.weighted[m]!.subarray(0, n);
    const { weight, scale } = model;
    for (let i = 0; i < n; i++) into[i] = mask[i] === 1 ? weight * (delta[i] as number) * scale : 0;
    return into;
  }

  /** δ = x − b rounded to f32, in a scratch buffer reused across models and chunks. */
  private delta(x: Float32Array, b: Float32Array): Float32Array {
    if (this.scratch.length < x.length) this.scratch = new Float32Array(x.length);
    const delta = this.scratch.subarray(0, x.length);
    for (let i = 0; i < x.length; i++) delta[i] = (x[i] as number) - (b[i] as number);
    return delta;
  }

  private keyInto(delta: Float32Array): void {
    if (this.keys.length < delta.length) this.keys = new Uint32Array(delta.length);
    const keys = this.keys.subarray(0, delta.length);
    if (descendingKeys(this.config)) descendingMagnitudeKeys(delta, keys);
    else magnitudeKeys(delta, keys);
  }

  /** The keep-mask of one model for this chunk (1 = keep), regenerated identically in every pass. */
  private maskInto(model: ModelState, delta: Float32Array, start: number, slot: number): Uint8Array {
    while (this.masks.length <= slot) this.masks.push(new Uint8Array(0));
    if (this.masks[slot]!.length < delta.length) this.masks[slot] = new Uint8Array(delta.length);
    const mask = this.masks[slot]!.subarray(0, delta.length);
    if (model.density >= 1 || this.config.sparsification === 'none') return mask.fill(1);
    switch (this.config.sparsification) {
      case 'magnitude':
      case 'magnitude_outliers':
        this.keyInto(delta);
        (model.window as RankWindow).keep(this.keys.subarray(0, delta.length), mask);
        return mask;
      case 'random':
        for (let i = 0; i < delta.length; i++) mask[i] = uniform(this.job.seed, model.stream, start + i) < model.density ? 1 : 0;
        return mask;
      case 'della_magprune':
        dellaMask(model, delta, start, this.rowLength as number, this.job.seed, mask);
        return mask;
    }
  }
}

/**
 * DELLA's magnitude-ranked Bernoulli mask, row by row: rank r = 1…n by |δ| ascending (ties by index) gets keep
 * probability (ρ − ε) + 2ε·(r − 1)/(n − 1); a one-element row gets ρ.
 */
function dellaMask(model: ModelState, delta: Float32Array, start: number, rowLength: number, seed: number, mask: Uint8Array): void {
  if (model.density <= 0) {
    mask.fill(0);
    return;
  }
  const order = new Uint32Array(rowLength);
  for (let row = 0; row < delta.length; row += rowLength) {
    for (let i = 0; i < rowLength; i++) order[i] = i;
    order.sort((a, c) => Math.abs(delta[row + a] as number) - Math.abs(delta[row + c] as number) || a - c);
    for (let r = 0; r < rowLength; r++) {
      const i = order[r] as number;
      const p = dellaProbability(model.density, model.epsilon, r, rowLength);
      mask[row + i] = uniform(seed, model.stream, start + row + i) < p ? 1 : 0;
    }
  }
}

/** DELLA's keep probability of the element of 0-based ascending magnitude rank r in a row of `rowLength`. */
export function dellaProbability(density: number, epsilon: number, r: number, rowLength: number): number {
  return rowLength === 1 ? density : density - epsilon + (2 * epsilon * r) / (rowLength - 1);
}
