import { describe, expect, it } from 'vitest';

import { MIN_FIT_ZOOM, SMALLEST_NODE_TEXT_PX, readableViewport } from './fit';

describe('readableViewport', () => {
  it('centres a graph that fits, at its natural size at most', () => {
    const view = readableViewport({ x: 0, y: 0, width: 400, height: 200 }, 1000, 600);
    expect(view).toEqual({ x: 300, y: 200, zoom: 1 });
  });

  it('never goes below the zoom that keeps node text at 11 px, and then shows the graph from its left edge', () => {
    // lzlv at 1280×800: three columns of nodes, wider than the centre column.
    const bounds = { x: -40, y: 10, width: 1400, height: 420 };
    const view = readableViewport(bounds, 680, 560);
    expect(view.zoom).toBe(MIN_FIT_ZOOM);
    expect(SMALLEST_NODE_TEXT_PX * view.zoom).toBeGreaterThanOrEqual(11);
    // The graph's left edge sits at the padding; vertically it still fits, so it is centred.
    expect(bounds.x * view.zoom + view.x).toBe(32);
    expect(bounds.y * view.zoom + view.y + (bounds.height * view.zoom) / 2).toBeCloseTo(280);
  });
});
