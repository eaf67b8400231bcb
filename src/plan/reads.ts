/**
 * The input reads of an output tensor's expression tree. A (model, tensor) that feeds several stages of a
 * multi-document recipe (lzlv-style: one model in two components) is read once and shared by every stage that uses
 * it, so the plan's read total and the engine's reads both count each distinct input range once.
 */
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { FloatDType } from '../io/safetensors/dtype';
import type { PlannedTensor, ReadExpr, TensorExpr } from './types';

/** Identifies one input tensor's bytes: the same input, file and start offset (a vocabulary crop reads a prefix). */
export function readKey(expr: ReadExpr): string {
  return `${expr.input}\u0000${expr.file}\u0000${String(expr.offset)}`;
}

/** Every read below an expression, once per occurrence (a read shared by two stages appears twice). */
export function allReads(expr: TensorExpr): ReadExpr[] {
  if (expr.kind === 'read') return [expr];
  if (expr.kind === 'lora') return [...allReads(expr.weight), expr.a, expr.b];
  return expr.inputs.flatMap(allReads);
}

interface ReadAnalysis {
  readonly distinct: readonly ReadExpr[];
  readonly shared: readonly ReadExpr[];
  readonly distinctBytes: number;
}

/** Plans and runs ask about the same trees many times (sizes, memory, scheduling): each tree is analysed once. */
const analysed = new WeakMap<TensorExpr, ReadAnalysis>();

function analyse(expr: TensorExpr): ReadAnalysis {
  let analysis = analysed.get(expr);
  if (analysis !== undefined) return analysis;
  const found = new Map<string, { read: ReadExpr; uses: number }>();
  for (const read of allReads(expr)) {
    const key = readKey(read);
    const seen = found.get(key);
    if (seen === undefined) found.set(key, { read, uses: 1 });
    else found.set(key, { read: read.length > seen.read.length ? read : seen.read, uses: seen.uses + 1 });
  }
  const entries = [...found.values()];
  const distinct = entries.map((e) => e.read);
  analysis = { distinct, shared: entries.filter((e) => e.uses > 1).map((e) => e.read), distinctBytes: distinct.reduce((s, r) => s + r.length, 0) };
  analysed.set(expr, analysis);
  return analysis;
}

/**
 * The distinct input ranges below an expression, each once: where one stage reads a prefix of a tensor (a vocabulary
 * crop) and another the whole of it, the longer read serves both.
 */
export function distinctReads(expr: TensorExpr): readonly ReadExpr[] {
  return analyse(expr).distinct;
}

/** Input ranges read by more than one leaf of the tree (the ones a streamed tensor reads whole and shares). */
export function sharedReads(expr: TensorExpr): readonly ReadExpr[] {
  return analyse(expr).shared;
}

/** Bytes an expression reads from its inputs, each distinct range once. */
export function inputBytesOf(expr: TensorExpr): number {
  return analyse(expr).distinctBytes;
}

/**
 * Whether the engine reads a tensor's inputs whole before computing it (a float tensor with elements, whose distinct
 * input bytes fit `preloadBytes`); the others stream chunk by chunk (integer tensors are copied).
 */
export function readsWhole(tensor: PlannedTensor, preloadBytes: number): tensor is PlannedTensor & { readonly dtype: FloatDType } {
  return isFloatDType(tensor.dtype) && numel(tensor.shape) > 0 && inputBytesOf(tensor.expr) <= preloadBytes;
}
