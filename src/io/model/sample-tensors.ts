/**
 * Small samples of a model's weights for previews (NearSwap's "share that moves"): picks one attention weight, one
 * MLP weight and one norm of the middle layer, and reads at most `cap` leading elements of each with a ranged read
 * (Hub) or a File slice (local), decoded to f32.
 */
import { layerIndexOf } from '../../shared/layer-name';
import { decodeToF32 } from '../safetensors/codec';
import { isFloatDType, numel } from '../safetensors/dtype';
import type { Model } from './types';

export const SAMPLE_CAP = 1 << 20;

/** Names of the sample tensors both models have (middle layer: attention, MLP, norm), in that order. */
export function sampleTensorNames(a: Model, b: Model): string[] {
  const layers = [...a.tensors.keys()].map(layerIndexOf).filter((x): x is number => x !== undefined);
  if (layers.length === 0) return [];
  const middle = Math.floor(Math.max(...layers) / 2);
  const inLayer = [...a.tensors.keys()].filter((n) => layerIndexOf(n) === middle && b.tensors.has(n));
  const picks = [/self_attn\.[qkvo]_proj\.weight$|attn.*weight$/, /mlp\..*weight$/, /norm\.weight$/];
  return picks.map((re) => inLayer.find((n) => re.test(n))).filter((n): n is string => n !== undefined);
}

/** The first `cap` elements of tensor `name`, as f32. */
export async function readSample(model: Model, name: string, cap = SAMPLE_CAP, signal?: AbortSignal): Promise<Float32Array> {
  const tensor = model.tensors.get(name);
  if (tensor === undefined || !isFloatDType(tensor.dtype)) return new Float32Array(0);
  const count = Math.min(numel(tensor.shape), cap);
  const bytesPer = tensor.length / Math.max(numel(tensor.shape), 1);
  const source = await model.folder.open(tensor.file);
  const bytes = await source.read(tensor.offset, count * bytesPer, signal);
  const out = new Float32Array(count);
  decodeToF32(tensor.dtype, bytes, out);
  return out;
}

/** Matching samples of two models: one (base, other) pair per sample tensor, equal lengths. */
export async function samplePairs(base: Model, other: Model, cap = SAMPLE_CAP, signal?: AbortSignal): Promise<[Float32Array, Float32Array][]> {
  const out: [Float32Array, Float32Array][] = [];
  for (const name of sampleTensorNames(base, other)) {
    const [b, x] = await Promise.all([readSample(base, name, cap, signal), readSample(other, name, cap, signal)]);
    const n = Math.min(b.length, x.length);
    if (n > 0) out.push([b.subarray(0, n), x.subarray(0, n)]);
  }
  return out;
}
