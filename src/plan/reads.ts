/**
 * The input reads of an output tensor's expression tree. A (model, tensor) that feeds several stages of a
 * multi-document recipe (lzlv-style: one model in two components) is read once and shared by every stage that uses
 * it, so the plan's read total and the engine's reads both count each distinct input range once.
 */
import type { ReadExpr, TensorExpr } from './types';

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

/**
 * The distinct input ranges below an expression, each once: where one stage reads a prefix of a tensor (a vocabulary
 * crop) and another the whole of it, the longer read serves both.
 */
export function distinctReads(expr: TensorExpr): ReadExpr[] {
  const found = new Map<string, ReadExpr>();
  for (const read of allReads(expr)) {
    const key = readKey(read);
    const seen = found.get(key);
    if (seen === undefined || read.length > seen.length) found.set(key, read);
  }
  return [...found.values()];
}

/** Input ranges read by more than one leaf of the tree (the ones a streamed tensor reads whole and shares). */
export function sharedReads(expr: TensorExpr): ReadExpr[] {
  const counts = new Map<string, number>();
  for (const read of allReads(expr)) counts.set(readKey(read), (counts.get(readKey(read)) ?? 0) + 1);
  return distinctReads(expr).filter((read) => (counts.get(readKey(read)) ?? 0) > 1);
}

/** Bytes an expression reads from its inputs, each distinct range once. */
export function inputBytesOf(expr: TensorExpr): number {
  return distinctReads(expr).reduce((sum, r) => sum + r.length, 0);
}
