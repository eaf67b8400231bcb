/**
 * What Try it converts and loads: a model folder (the finished merge, or one of its parents) turned into a GGUF by an
 * identity recipe run through the studio's own engine and GGUF writer, and the size the tab can hold.
 *
 * Limits: llama.cpp in WebAssembly has a 4 GiB heap (weights, KV cache and compute buffers together), and a browser
 * reads one file of at most 2 GB, so conversions are split into {@link GGUF_PART_BYTES} parts and models whose Q8_0
 * weights pass {@link TAB_LIMIT_BYTES} (about 3B parameters) are refused before any byte moves.
 */
import { AppError } from '../shared/errors';
import { formatBytes } from '../shared/format';

/** Q8_0 keeps 34 bytes per block of 32 weights. */
const Q8_0_BYTES_PER_WEIGHT = 34 / 32;
/** Q8_0 weights the tab will load: leaves room for the KV cache and buffers in the 4 GiB heap. */
export const TAB_LIMIT_BYTES = 3.5 * 1024 ** 3;
/** Parts of at most this size (wllama's recommendation; well under the 2 GB file limit). */
export const GGUF_PART_BYTES = 512 * 1024 * 1024;

/** A one-model recipe that copies `model` unchanged (the identity merge). */
export function identityRecipe(model: string): string {
  return `merge_method: passthrough\nmodels:\n  - model: ${JSON.stringify(model)}\n`;
}

/** Refuses (typed, naming the model) a model whose Q8_0 weights would not fit the tab. */
export function checkFitsTab(model: string, params: number): number {
  const bytes = Math.ceil(params * Q8_0_BYTES_PER_WEIGHT);
  if (bytes > TAB_LIMIT_BYTES) {
    throw new AppError('E_UNSUPPORTED', `${model} is too large to try in the tab: about ${formatBytes(bytes)} as Q8_0, over ${formatBytes(TAB_LIMIT_BYTES)}.`, {
      context: { model },
      hint: 'Try it holds models up to about 3B parameters; load the GGUF in llama.cpp on your machine instead.',
    });
  }
  return bytes;
}

/** The `.gguf` files of a folder listing, ordered as llama.cpp wants the parts (`-00001-of-0000N` first). */
export function ggufParts(names: readonly string[]): string[] {
  return names.filter((n) => n.toLowerCase().endsWith('.gguf')).sort();
}
