import { describe, expect, it } from 'vitest';

import { DEFAULT_LAYOUT, LAYOUT_KEY, readLayout } from './layout-slice';
import { memoryStorage } from '../../test/memory-storage';
import { createAppStore } from './store';

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
