/**
 * The app store: one zustand store made by a factory from typed slices. Components read it through selectors with
 * {@link useAppStore}; tests make a fresh store per test with {@link createAppStore}.
 */
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';

import { jobSlice } from './job-slice';
import type { JobDeps, JobSlice } from './job-slice';

export type AppState = JobSlice;

export interface AppDeps {
  readonly job?: JobDeps;
}

export function createAppStore(deps: AppDeps = {}): StoreApi<AppState> {
  return createStore<AppState>()((...a) => ({
    ...jobSlice<AppState>(deps.job)(...a),
  }));
}

/** The page's store. */
export const appStore = createAppStore();

export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(appStore, selector);
}
