/**
 * Where the canvas looks when it fits the recipe into view: the whole graph when it fits at a readable zoom; else the
 * readable zoom, showing the graph's top-left (its inputs) and leaving the rest to scroll to — never a zoom at which
 * node text is too small to read.
 */

/** The smallest node text on the canvas, in CSS pixels at zoom 1 (see `.node-kicker`, `.handle-label` in app.css). */
export const SMALLEST_NODE_TEXT_PX = 11;
/** Node text at least 11 px on screen: the canvas never fits below this zoom. */
export const MIN_FIT_ZOOM = 11 / SMALLEST_NODE_TEXT_PX;
/** Fitting never magnifies past 1: a small recipe keeps its natural size. */
export const MAX_FIT_ZOOM = 1;

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Viewport {
  readonly x: number;
  readonly y: number;
  readonly zoom: number;
}

/** The viewport that shows `bounds` (graph coordinates) in a `width`×`height` pane with `padding` pixels around it. */
export function readableViewport(bounds: Box, width: number, height: number, padding = 32): Viewport {
  const fitZoom = Math.min((width - 2 * padding) / Math.max(1, bounds.width), (height - 2 * padding) / Math.max(1, bounds.height));
  const zoom = Math.max(MIN_FIT_ZOOM, Math.min(MAX_FIT_ZOOM, fitZoom));
  // Centred along each axis where the graph fits at this zoom, else from its start (left, top).
  const along = (start: number, size: number, pane: number) =>
    size * zoom <= pane - 2 * padding ? (pane - size * zoom) / 2 - start * zoom : padding - start * zoom;
  return { x: along(bounds.x, bounds.width, width), y: along(bounds.y, bounds.height, height), zoom };
}
