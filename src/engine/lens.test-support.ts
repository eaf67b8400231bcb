/**
 * The weight lens's test inputs and its float64 reference: a pair of tiny in-memory models with one tensor per case
 * (bf16, f16 and f32 inputs, mixed dtypes, a near-identical pair, an identical one, odd lengths), and every metric
 * computed in f64 from the decoded values, written out here rather than with the lens's helpers.
 */
import { decodeToF32, encodeFromF32 } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import type { Model } from '../io/model/types';

/** Float64 reference of every metric over whole tensors. */
export function lensReference(a: Float32Array, b: Float32Array, t: number): Record<string, number | null> {
  let aa = 0;
  let bb = 0;
  let ab = 0;
  let dd = 0;
  let swapped = 0;
  let weights = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    aa += x * x;
    bb += y * y;
    ab += x * y;
    dd += (y - x) * (y - x);
    // NearSwap's weight as mergekit defines it (mergekit-spec §3.11), written out here rather than reusing the lens's helper.
    const w = Math.min(1, Math.max(0, t / Math.max(Math.abs(y - x), 1e-6)));
    if (w === 1) swapped++;
    weights += w;
  }
  const na = Math.sqrt(aa);
  const nb = Math.sqrt(bb);
  const cosine = na > 0 && nb > 0 ? ab / (na * nb) : null;
  // The angle by a second pass over the unit vectors, 2·atan2(‖â − b̂‖, ‖â + b̂‖): precise for near-parallel tensors too.
  let minus = 0;
  let plus = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) / na;
    const y = (b[i] as number) / nb;
    minus += (x - y) * (x - y);
    plus += (x + y) * (x + y);
  }
  return {
    norm_a: na,
    norm_b: nb,
    cosine,
    relative_difference: aa > 0 ? Math.sqrt(dd / aa) : null,
    angle_degrees: cosine === null ? null : (2 * Math.atan2(Math.sqrt(minus), Math.sqrt(plus)) * 180) / Math.PI,
    nearswap_swapped: swapped / a.length,
    nearswap_mean_weight: weights / a.length,
  };
}

interface PairCase {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtypes: readonly [FloatDType, FloatDType];
  /** b from a and a noise value in [−1, 1). */
  readonly derive: (a: number, noise: number) => number;
}

/** NearSwap's t for the cases: differences of the derived tensors straddle it. */
export const LENS_T = 0.01;

export const LENS_CASES: readonly PairCase[] = [
  { name: 'bf16.weight', shape: [3, 333], dtypes: ['BF16', 'BF16'], derive: (a, n) => 0.8 * a + 0.02 * n },
  { name: 'f16.weight', shape: [17, 61], dtypes: ['F16', 'F16'], derive: (a, n) => a + 0.015 * n },
  { name: 'f32.weight', shape: [1100], dtypes: ['F32', 'F32'], derive: (a, n) => -0.3 * a + 0.01 * n },
  { name: 'mixed.weight', shape: [40, 50], dtypes: ['BF16', 'F16'], derive: (a, n) => 1.3 * a + 0.012 * n },
  { name: 'mixed32.weight', shape: [21, 25], dtypes: ['F32', 'BF16'], derive: (a, n) => a + 0.015 * n },
  // b = a + noise a million times smaller: Σ(b − a)² from ‖a‖² + ‖b‖² − 2a·b would be lost in rounding.
  { name: 'near.weight', shape: [13, 37], dtypes: ['F32', 'F32'], derive: (a, n) => a + 2e-8 * n },
  // Identical: Σ(b − a)² is exactly 0.
  { name: 'same.weight', shape: [300], dtypes: ['F16', 'F16'], derive: (a) => a },
];

/** A seeded uniform generator in [−1, 1) (mulberry32). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (((z ^ (z >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
}

export interface StoredTensor {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** A safetensors file of `tensors` (encoded bytes), in order. */
export function safetensorsFile(tensors: readonly StoredTensor[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

export interface LensPair {
  readonly a: Model;
  readonly b: Model;
  /** Each tensor's decoded values in a and b. */
  readonly values: ReadonlyMap<string, readonly [Float32Array, Float32Array]>;
}

function encoded(dtype: FloatDType, values: Float32Array): { bytes: Uint8Array; decoded: Float32Array } {
  const bytes = new Uint8Array(values.length * (dtype === 'F32' ? 4 : 2));
  encodeFromF32(dtype, values, bytes);
  const decoded = new Float32Array(values.length);
  decodeToF32(dtype, bytes, decoded);
  return { bytes, decoded };
}

/** The two models of {@link LENS_CASES}, a ~ 0.02·U(−1, 1). */
export async function lensPair(seed = 7): Promise<LensPair> {
  const next = uniform(seed);
  const sides: [StoredTensor[], StoredTensor[]] = [[], []];
  const values = new Map<string, readonly [Float32Array, Float32Array]>();
  for (const c of LENS_CASES) {
    const count = c.shape.reduce((p, d) => p * d, 1);
    const raw = Float32Array.from({ length: count }, () => 0.02 * next());
    const a = encoded(c.dtypes[0], raw);
    const b = encoded(c.dtypes[1], Float32Array.from(a.decoded, (x) => c.derive(x, next())));
    sides[0].push({ name: c.name, dtype: c.dtypes[0], shape: c.shape, bytes: a.bytes });
    sides[1].push({ name: c.name, dtype: c.dtypes[1], shape: c.shape, bytes: b.bytes });
    values.set(c.name, [a.decoded, b.decoded]);
  }
  const [a, b] = await Promise.all(['a', 'b'].map((ref, i) => loadModel(memoryFolder(`lens-${ref}`, new Map([['model.safetensors', safetensorsFile(sides[i] as StoredTensor[])]])))));
  return { a: a as Model, b: b as Model, values };
}
