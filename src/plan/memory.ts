/**
 * The plan's "Peak memory": an upper bound of the engine's working memory for one tensor in flight, from the shapes
 * alone (what the run loop and the evaluator hold for it).
 */
import { isFloatDType, numel } from '../io/safetensors/dtype';
import { allReads, distinctReads, sharedReads } from './reads';
import type { PlannedTensor, TensorExpr } from './types';

/** Elements per chunk of the engine's streamed tensors. */
export const ENGINE_CHUNK_ELEMENTS = 1 << 20;

/** Inputs of a tensor up to this size are read whole (the engine's default preload budget). */
const PRELOAD_BYTES = 256 * 1024 * 1024;

/**
 * Working memory of one tensor in flight: its input bytes read whole, their f32 decode (multi-pass methods), every
 * nested stage's f32 result and the encoded output; tensors whose inputs exceed the preload budget stream in chunks
 * (ranges that several stages read are read whole once and shared).
 */
export function peakBytes(tensor: PlannedTensor): number {
  const elements = numel(tensor.shape);
  const leaves = allReads(tensor.expr);
  const inputBytes = distinctReads(tensor.expr).reduce((s, r) => s + r.length, 0);
  const outBytes = isFloatDType(tensor.dtype) ? elements * (tensor.dtype === 'F32' ? 4 : 2) : inputBytes;
  if (inputBytes <= PRELOAD_BYTES) return inputBytes + elements * 4 * (leaves.length + merges(tensor.expr)) + outBytes;
  const chunk = Math.min(elements, ENGINE_CHUNK_ELEMENTS);
  const shared = sharedReads(tensor.expr).reduce((s, r) => s + r.length, 0);
  return shared + chunk * 4 * 2 * (leaves.length + 1) + elements * 4 * Math.max(0, merges(tensor.expr) - 1);
}

function merges(expr: TensorExpr): number {
  if (expr.kind === 'merge') return 1 + expr.inputs.reduce((s, e) => s + merges(e), 0);
  return expr.kind === 'lora' ? merges(expr.weight) : 0;
}
