/** React access to the studio store: one store per app root through context, read with selectors. */
import { createContext, createElement, useContext } from 'react';
import type { ReactNode } from 'react';
import { useStore } from 'zustand';

import type { AppState, AppStore } from './store';

const StoreContext = createContext<AppStore | undefined>(undefined);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return createElement(StoreContext.Provider, { value: store }, children);
}

export function useAppStoreApi(): AppStore {
  const store = useContext(StoreContext);
  if (store === undefined) throw new Error('useAppStore outside <StoreProvider>');
  return store;
}

/** Subscribes to one selected value; select the smallest thing the component needs. */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStoreApi(), selector);
}
