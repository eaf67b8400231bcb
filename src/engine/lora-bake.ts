/**
 * LoRA baking on the CPU: the values of a chunk that carries a {@link LoraBake} — W decoded, plus the delta of
 * methods/lora-delta.ts, rounded to W's dtype. The factors are decoded once per LoRA (cached while it is in use).
 */
import { decodeToF32, roundInPlace } from '../io/safetensors/codec';
import { numel } from '../io/safetensors/dtype';
import { addLoraDelta } from '../methods/lora-delta';
import type { LoraFactors } from '../methods/lora-delta';
import type { EncodedChunk } from './backend';

const decodedFactors = new WeakMap<LoraFactors, { a: Float32Array; b: Float32Array }>();

function decoded(factors: LoraFactors): { a: Float32Array; b: Float32Array } {
  let found = decodedFactors.get(factors);
  if (found === undefined) {
    const decode = (f: LoraFactors['a'], shape: readonly number[]) => {
      const values = new Float32Array(numel(shape));
      decodeToF32(f.dtype, f.bytes, values);
      return values;
    };
    const inFeatures = factors.fanInFanOut ? factors.rows : factors.columns;
    const outFeatures = factors.fanInFanOut ? factors.columns : factors.rows;
    found = { a: decode(factors.a, [factors.rank, inFeatures]), b: decode(factors.b, [outFeatures, factors.rank]) };
    decodedFactors.set(factors, found);
  }
  return found;
}

/** The baked values of a chunk with a LoRA, into `values` (one per element). */
export function bakeOnCpu(chunk: EncodedChunk & { lora: NonNullable<EncodedChunk['lora']> }, values: Float32Array): Float32Array {
  decodeToF32(chunk.dtype, chunk.bytes.subarray(0, values.length * (chunk.dtype === 'F32' ? 4 : 2)), values);
  const { factors, start } = chunk.lora;
  const { a, b } = decoded(factors);
  addLoraDelta(values, start, factors, a, b);
  roundInPlace(factors.dtype, values);
  return values;
}
