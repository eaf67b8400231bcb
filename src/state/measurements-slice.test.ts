import { describe, expect, it } from 'vitest';

import { withCardExtras } from '../plan/card-extras';
import { createAppStore } from './store';

describe('measurements slice', () => {
  it('keeps the last lens summary and perplexity rows for the card, and forgets them when a new run starts', () => {
    const store = createAppStore();
    expect(store.getState().measurements).toEqual({});
    store.getState().recordLensSummary('Layers that differ most: layer 3.');
    const measured = [
      { model: 'demo-merge', perplexity: 12.5, tokens: 9, tokensPerSecond: 40 },
      { model: 'demo-base', perplexity: 14.25, tokens: 9, tokensPerSecond: 41 },
    ];
    store.getState().recordPerplexity(measured);
    const extras = store.getState().measurements;
    // Only what the card prints is kept (not the speed).
    expect(extras).toEqual({ lensSummary: 'Layers that differ most: layer 3.', perplexity: [{ model: 'demo-merge', perplexity: 12.5, tokens: 9 }, { model: 'demo-base', perplexity: 14.25, tokens: 9 }] });
    const card = withCardExtras('# demo\n', extras);
    expect(card).toContain('### Lens summary\n\nLayers that differ most: layer 3.');
    expect(card).toContain('| demo-merge | 12.500 | 9 |');
    expect(card).toContain('| demo-base | 14.250 | 9 |');

    // A later lens replaces the summary; an empty measurement removes the rows.
    store.getState().recordLensSummary('Second lens.');
    store.getState().recordPerplexity([]);
    expect(store.getState().measurements).toEqual({ lensSummary: 'Second lens.' });

    store.getState().recordPerplexity([{ model: 'demo-merge', perplexity: 3, tokens: 2 }]);
    store.setState({ job: { ...store.getState().job, phase: 'running' } });
    expect(store.getState().measurements).toEqual({});
  });
});
