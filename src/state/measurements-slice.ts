/**
 * What the studio measured, for the merged model's card: the last lens of two models (it names them, so it stays
 * true), "where the merge landed" between the parents, and the Try-it perplexity rows. A new run makes a new merge:
 * it forgets the last two, which described the previous output.
 */
import type { StateCreator } from 'zustand';

import type { CardExtras } from '../plan/card-extras';

export interface Measurements {
  /** The last pair lens, as card lines. */
  readonly lens?: string;
  /** Where the finished merge landed between its parents, as card lines. */
  readonly landed?: string;
  readonly perplexity?: CardExtras['perplexity'];
}

export interface MeasurementsSlice {
  readonly measurements: Measurements;
  /** Records the last lens (and, after "Where the merge landed", that too); undefined clears it. */
  recordLens(lens: string | undefined, landed: string | undefined): void;
  recordPerplexity(rows: NonNullable<CardExtras['perplexity']>): void;
  /** A run started: what described the previous output goes. */
  forgetOutputMeasurements(): void;
}

export const createMeasurementsSlice: StateCreator<MeasurementsSlice> = (set) => ({
  measurements: {},
  recordLens: (lens, landed) =>
    set((s) => {
      const { perplexity } = s.measurements;
      return { measurements: { ...(perplexity === undefined ? {} : { perplexity }), ...(lens === undefined ? {} : { lens }), ...(landed === undefined ? {} : { landed }) } };
    }),
  recordPerplexity: (rows) =>
    set((s) => {
      const { perplexity: _dropped, ...rest } = s.measurements;
      const perplexity = rows.map(({ model, perplexity, tokens }) => ({ model, perplexity, ...(tokens === undefined ? {} : { tokens }) }));
      return { measurements: rows.length === 0 ? rest : { ...rest, perplexity } };
    }),
  forgetOutputMeasurements: () => set((s) => ({ measurements: s.measurements.lens === undefined ? {} : { lens: s.measurements.lens } })),
});

/** The card's extras from the measurements: the lens lines together, and the perplexity rows. */
export function cardExtras(m: Measurements): CardExtras {
  const lensSummary = [m.lens, m.landed].filter((x): x is string => x !== undefined).join('\n\n');
  return { ...(lensSummary === '' ? {} : { lensSummary }), ...(m.perplexity === undefined ? {} : { perplexity: m.perplexity }) };
}
