/**
 * What the studio measured about the finished merge, for its model card: the last lens summary (the parents, or where
 * the merge landed between them) and the last Try-it perplexity rows. Cleared when a new run starts, so a card never
 * carries another merge's numbers.
 */
import type { StateCreator } from 'zustand';

import type { CardExtras } from '../plan/card-extras';
import type { AppState } from './store';

export interface MeasurementsSlice {
  readonly measurements: CardExtras;
  recordLensSummary(summary: string | undefined): void;
  recordPerplexity(rows: NonNullable<CardExtras['perplexity']>): void;
  clearMeasurements(): void;
}

const NONE: CardExtras = {};

export const createMeasurementsSlice: StateCreator<AppState, [], [], MeasurementsSlice> = (set) => ({
  measurements: NONE,
  recordLensSummary: (lensSummary) =>
    set((s) => {
      const { lensSummary: _dropped, ...rest } = s.measurements;
      return { measurements: lensSummary === undefined ? rest : { ...rest, lensSummary } };
    }),
  recordPerplexity: (rows) =>
    set((s) => {
      const { perplexity: _dropped, ...rest } = s.measurements;
      return { measurements: rows.length === 0 ? rest : { ...rest, perplexity: rows.map(({ model, perplexity, tokens }) => ({ model, perplexity, ...(tokens === undefined ? {} : { tokens }) })) } };
    }),
  clearMeasurements: () => set({ measurements: NONE }),
});
