/**
 * Counter-based random numbers for masks (DARE, DELLA): a pure function of (seed, stream, element index), so a mask is
 * the same on the CPU and the GPU, whatever the chunk size, and on every re-run. Only 32-bit integer operations are
 * used (`Math.imul`, shifts, xor), which WGSL has bit for bit:
 *
 *   x = index_lo ^ mix(seed) ^ stream;  x = lowbias32(x);  x = lowbias32(x ^ index_hi ^ 0x9e3779b9)
 *   lowbias32(x) = x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16
 *   uniform = x / 2^32
 *
 * `stream` separates tensors and models: {@link streamOf}(tensor name, model index).
 */

export function lowbias32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a of the UTF-16 code units of the tensor name, mixed with the model index. */
export function streamOf(tensor: string, model: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tensor.length; i++) h = Math.imul(h ^ tensor.charCodeAt(i), 0x01000193);
  return lowbias32((h ^ Math.imul(model + 1, 0x85ebca6b)) >>> 0);
}

/** 32 random bits for element `index` (any safe integer). */
export function randomBits(seed: number, stream: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  const first = lowbias32((lo ^ lowbias32(seed >>> 0) ^ stream) >>> 0);
  return lowbias32((first ^ hi ^ 0x9e3779b9) >>> 0);
}

/** Uniform in [0, 1) with 32 bits of resolution. */
export function uniform(seed: number, stream: number, index: number): number {
  return randomBits(seed, stream, index) / 4294967296;
}

/**
 * The integer form of `uniform(...) < p` for the GPU: `randomBits(...) < threshold`, with threshold = ⌈p·2^32⌉ (exact:
 * scaling by 2^32 loses nothing in f64). Returns undefined when every element passes (threshold 2^32, not a u32).
 */
export function bernoulliThreshold(p: number): number | undefined {
  const threshold = Math.ceil(p * 4294967296);
  if (threshold >= 4294967296) return undefined;
  return Math.max(0, threshold);
}
