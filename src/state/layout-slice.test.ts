import { describe, expect, it } from 'vitest';

import { DEFAULT_LAYOUT, LAYOUT_KEY, readLayout } from './layout-slice';
import { createAppStore } from './store';

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  };
}

describe('layout slice', () => {
  it('opens with both side panels and the run drawer collapsed, and remembers a change', () => {
    const storage = memoryStorage();
    const store = createAppStore({ storage });
    expect(store.getState().layout).toEqual(DEFAULT_LAYOUT);
    store.getState().togglePanel('models');
    store.getState().togglePanel('run', true);
    expect(store.getState().layout).toEqual({ models: false, inspector: true, run: true });
    expect(createAppStore({ storage }).getState().layout).toEqual({ models: false, inspector: true, run: true });
  });

  it('ignores a damaged or foreign saved layout', () => {
    const storage = memoryStorage();
    storage.setItem(LAYOUT_KEY, '{not json');
    expect(readLayout(storage)).toEqual(DEFAULT_LAYOUT);
    storage.setItem(LAYOUT_KEY, JSON.stringify({ models: 'no', inspector: false, other: true }));
    expect(readLayout(storage)).toEqual({ ...DEFAULT_LAYOUT, inspector: false });
  });
});
