/** What a planned tensor costs: the bytes it reads and the working memory it needs in flight. */
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { PlannedTensor, ReadExpr, TensorExpr } from './types';

/** Elements per chunk the engine streams; the plan's peak-memory estimate is based on it. */
export const ENGINE_CHUNK_ELEMENTS = 1 << 20;

/** Inputs of a tensor up to this size are read whole (the engine's default preload budget). */
const PRELOAD_BYTES = 256 * 1024 * 1024;

/** Every read below an expression (each counted once per occurrence). */
export function reads(expr: TensorExpr): ReadExpr[] {
  if (expr.kind === 'read') return [expr];
  if (expr.kind === 'lora') return [...reads(expr.weight), expr.a, expr.b];
  return expr.inputs.flatMap(reads);
}

/**
 * Working memory of one tensor in flight: its input bytes read whole, their f32 decode (multi-pass methods), every
 * nested stage's f32 result and the encoded output; tensors whose inputs exceed the preload budget stream in chunks.
 */
export function peakBytes(tensor: PlannedTensor): number {
  const elements = numel(tensor.shape);
  const leaves = reads(tensor.expr);
  const inputBytes = leaves.reduce((s, r) => s + r.length, 0);
  const merges = (expr: TensorExpr): number => (expr.kind === 'merge' ? 1 + expr.inputs.reduce((s, e) => s + merges(e), 0) : expr.kind === 'lora' ? merges(expr.weight) : 0);
  const outBytes = isFloatDType(tensor.dtype) ? (elements * (tensor.dtype === 'F32' ? 4 : 2)) : inputBytes;
  if (inputBytes <= PRELOAD_BYTES) return inputBytes + elements * 4 * (leaves.length + merges(tensor.expr)) + outBytes;
  const chunk = Math.min(elements, ENGINE_CHUNK_ELEMENTS);
  return chunk * 4 * 2 * (leaves.length + 1) + elements * 4 * Math.max(0, merges(tensor.expr) - 1);
}
