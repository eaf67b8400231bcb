import { describe, expect, it } from 'vitest';

import { withCardExtras } from '../plan/card-extras';
import { cardExtras } from './measurements-slice';
import { createAppStore } from './store';

describe('measurements slice', () => {
  it('keeps the last lens, where the merge landed and the perplexity rows for the card', () => {
    const store = createAppStore();
    expect(cardExtras(store.getState().measurements)).toEqual({});
    store.getState().recordLens('Layers that differ most: layer 3.', 'Landed at 0.5.');
    const measured = [
      { model: 'demo-merge', perplexity: 12.5, tokens: 9, tokensPerSecond: 40 },
      { model: 'demo-base', perplexity: 14.25, tokens: 9, tokensPerSecond: 41 },
    ];
    store.getState().recordPerplexity(measured);
    const extras = cardExtras(store.getState().measurements);
    // Only what the card prints is kept (not the speed); the two lens parts become one summary.
    expect(extras).toEqual({
      lensSummary: 'Layers that differ most: layer 3.\n\nLanded at 0.5.',
      perplexity: [
        { model: 'demo-merge', perplexity: 12.5, tokens: 9 },
        { model: 'demo-base', perplexity: 14.25, tokens: 9 },
      ],
    });
    const card = withCardExtras('# demo\n', extras);
    expect(card).toContain('### Lens summary\n\nLayers that differ most: layer 3.\n\nLanded at 0.5.');
    expect(card).toContain('| demo-merge | 12.500 | 9 |');
    expect(card).toContain('| demo-base | 14.250 | 9 |');

    // A later lens replaces the earlier one; an empty measurement removes the rows.
    store.getState().recordLens('Second lens.', undefined);
    store.getState().recordPerplexity([]);
    expect(cardExtras(store.getState().measurements)).toEqual({ lensSummary: 'Second lens.' });
  });

  it('forgets what described the previous output when a run starts, and keeps the lens of two named models', () => {
    const store = createAppStore();
    store.getState().recordLens('Weight lens of `a` against `b`.', 'Landed at 0.5.');
    store.getState().recordPerplexity([{ model: 'demo-merge', perplexity: 3, tokens: 2 }]);
    store.setState({ job: { ...store.getState().job, phase: 'running' } });
    expect(store.getState().measurements).toEqual({ lens: 'Weight lens of `a` against `b`.' });
  });
});
