/**
 * Checks a GGUF with llama.cpp itself (node-llama-cpp's prebuilt CPU build): next-token log-probabilities of a prompt,
 * compared with a float64 forward pass of the merged safetensors within a tolerance per GGUF type.
 */
import type { Llama } from 'node-llama-cpp';

import type { ModelSpec } from '../../test/fixtures/models';
import type { LlamaConfig } from '../io/gguf/llama-forward.test-support';
import type { GgufOutputType } from '../io/gguf/types';
import { decodeToF32 } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import { parseHeader } from '../io/safetensors/header';

/** Largest |Δ log p| over the vocabulary and positions, relative to the spread (std) of the reference log-probs. */
// Measured (max over the four families): f32 5.3e-6, f16 1.5e-3, bf16 9.7e-3, q8_0 6.5e-2. llama.cpp rounds the
// activations to the weights' type before each matmul (f16, bf16, or Q8_0 blocks), so those types sit above f32.
export const GGUF_TOLERANCE: Readonly<Record<GgufOutputType, number>> = { f32: 2e-5, f16: 4e-3, bf16: 3e-2, q8_0: 0.15 };

/** max |a − b| over every position and token, relative to the largest spread (std) of `b`'s rows. */
export function maxRelative(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let diff = 0;
  let spread = 0;
  b.forEach((row, pos) => {
    const mean = row.reduce((x, y) => x + y, 0) / row.length;
    spread = Math.max(spread, Math.sqrt(row.reduce((x, y) => x + (y - mean) ** 2, 0) / row.length));
    row.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - ((a[pos] as Float64Array)[i] as number)))));
  });
  return diff / spread;
}

/** A single-file safetensors (its bytes) as float64 weights. */
export function safetensorsWeights(bytes: Uint8Array): Map<string, Float64Array> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const header = parseHeader(bytes.subarray(8, 8 + length), bytes.byteLength, 'model.safetensors');
  const out = new Map<string, Float64Array>();
  for (const t of header.tensors) {
    const values = new Float32Array((t.end - t.begin) / (t.dtype === 'F32' ? 4 : 2));
    decodeToF32(t.dtype as FloatDType, bytes.subarray(header.dataOffset + t.begin, header.dataOffset + t.end), values);
    out.set(t.name, Float64Array.from(values));
  }
  return out;
}

/** The float64 forward pass's configuration for a fixture model (without rope scaling). */
export function plainLlamaConfig(spec: ModelSpec): LlamaConfig {
  return { hidden: spec.hidden, layers: spec.layers, heads: spec.heads, kvHeads: spec.kvHeads, intermediate: spec.intermediate, vocab: spec.vocab, ropeTheta: spec.ropeTheta ?? 10000, rmsEps: 1e-5, tied: spec.tieEmbeddings === true };
}

/** llama.cpp's next-token log-probabilities after each token of `prompt`, from the GGUF at `path` (f32 KV cache). */
export async function ggufLogProbs(llama: Llama, path: string, prompt: readonly number[], vocab: number): Promise<Float64Array[]> {
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    const context = await model.createContext({ contextSize: 64, batchSize: 64, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
    try {
      const result = await context.getSequence().controlledEvaluate(prompt.map((t) => [t as never, { generateNext: { probabilities: true } }]));
      return result.map((r) => {
        const probs = r?.next?.probabilities;
        if (probs?.size !== vocab) throw new Error(`llama.cpp gave ${probs?.size ?? 0} probabilities, not ${vocab}`);
        return Float64Array.from({ length: vocab }, (_, id) => Math.log(probs.get(id as never) ?? 0));
      });
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}
