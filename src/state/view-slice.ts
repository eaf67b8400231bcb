/**
 * What the user is looking at and how the studio reaches the Hub: the selected node, the Hub endpoint (a setting, or
 * `?hub=` in the page URL) and the access token, kept in memory unless the user asks to remember it on this device.
 */
import type { StateCreator } from 'zustand';

import { DEFAULT_HUB_ENDPOINT, normaliseEndpoint } from '../io/source/hub-client';

export type Selection =
  | { readonly kind: 'model'; readonly ref: string }
  | { readonly kind: 'lora'; readonly ref: string }
  | { readonly kind: 'stage'; readonly index: number }
  | undefined;

export interface ViewSlice {
  readonly selection: Selection;
  readonly hubEndpoint: string;
  readonly hubToken: string;
  /** Whether the token is written to this browser's storage (off by default). */
  readonly persistToken: boolean;
  /** The reason the last wire was refused, shown on the canvas until the next edit. */
  readonly notice: string | undefined;
  /** The layer the weight lens pointed at: the gradient editor highlights it. */
  readonly focusedLayer: number | undefined;
  select(selection: Selection): void;
  focusLayer(layer: number | undefined): void;
  setHubEndpoint(endpoint: string): void;
  setHubToken(token: string, persist: boolean): void;
  setNotice(notice: string | undefined): void;
}

export const STORAGE_KEYS = {
  recipe: 'merge-studio:recipe',
  endpoint: 'merge-studio:hub-endpoint',
  token: 'merge-studio:hub-token',
} as const;

/** The endpoint to start with: `?hub=` in the page URL, else the saved setting, else the public Hub. */
export function initialEndpoint(url: string | undefined, storage: Pick<Storage, 'getItem'> | undefined): string {
  const fromUrl = url === undefined ? null : new URL(url).searchParams.get('hub');
  for (const candidate of [fromUrl, storage?.getItem(STORAGE_KEYS.endpoint) ?? null]) {
    if (candidate === null || candidate === '') continue;
    try {
      return normaliseEndpoint(candidate);
    } catch {
      // an unusable saved or linked endpoint falls through to the default
    }
  }
  return DEFAULT_HUB_ENDPOINT;
}

export function createViewSlice(storage: Storage | undefined, url: string | undefined): StateCreator<ViewSlice> {
  return (set) => {
    const savedToken = storage?.getItem(STORAGE_KEYS.token) ?? null;
    return {
      selection: undefined,
      hubEndpoint: initialEndpoint(url, storage),
      hubToken: savedToken ?? '',
      persistToken: savedToken !== null,
      notice: undefined,
      focusedLayer: undefined,
      select: (selection) => set({ selection }),
      focusLayer: (focusedLayer) => set({ focusedLayer }),
      setHubEndpoint: (endpoint) => {
        const normalised = normaliseEndpoint(endpoint);
        storage?.setItem(STORAGE_KEYS.endpoint, normalised);
        set({ hubEndpoint: normalised });
      },
      setHubToken: (token, persist) => {
        if (persist && token !== '') storage?.setItem(STORAGE_KEYS.token, token);
        else storage?.removeItem(STORAGE_KEYS.token);
        set({ hubToken: token, persistToken: persist });
      },
      setNotice: (notice) => set({ notice }),
    };
  };
}
