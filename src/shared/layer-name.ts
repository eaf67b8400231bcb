/**
 * Where a tensor name says its layer: the first `.layers.<n>.`, `.h.<n>.` (GPT-2) or `.blocks.<n>.` component.
 * One rule for every place that groups tensors by layer (lens grid, card gradient, model summary, preview samples,
 * GGUF names); the plan's per-architecture layer prefixes (`plan/architectures`) stay separate because mergekit
 * defines them per family.
 */

/** A tensor name split at its layer: `model.layers.3.mlp.up_proj.weight` → `model` · `layers` · 3 · `mlp.up_proj.weight`. */
export interface LayerPath {
  /** What precedes the layer container, without the dot (`model`, `transformer`). */
  readonly prefix: string;
  /** The container's name: `layers`, `h` or `blocks`. */
  readonly container: string;
  readonly layer: number;
  /** The module path after the index (`mlp.up_proj.weight`); may be empty. */
  readonly module: string;
}

const LAYER = /\.(layers|h|blocks)\.(\d+)\./;

/** The name split at its layer, or undefined for a tensor outside the layers (embeddings, final norm, head). */
export function layerPathOf(name: string): LayerPath | undefined {
  const match = LAYER.exec(name);
  if (match === null) return undefined;
  return {
    prefix: name.slice(0, match.index),
    container: match[1] as string,
    layer: Number(match[2]),
    module: name.slice(match.index + match[0].length),
  };
}

/** The layer index of a tensor name, or undefined outside the layers. */
export function layerIndexOf(name: string): number | undefined {
  return layerPathOf(name)?.layer;
}
