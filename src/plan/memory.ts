/**
 * Memory of a run, from the plan's shapes alone: what one tensor holds while in flight (its input bytes read whole,
 * its encoded output, nested stages' f32 results), the budget the run loop admits tensors under, and the plan's
 * "Peak memory" estimate that follows from both.
 */
import { isFloatDType, numel } from '../io/safetensors/dtype';
import { allReads, distinctReads, inputBytesOf, readsWhole, sharedReads } from './reads';
import { layoutBytes, slabBytesOf } from './slabs';
import type { PlannedTensor, TensorExpr } from './types';

/** Elements per chunk of the engine's streamed tensors. */
export const ENGINE_CHUNK_ELEMENTS = 1 << 20;

/** Inputs of a tensor up to this size are read whole (the engine's default preload budget). */
export const PRELOAD_BYTES = 256 * 1024 * 1024;

/**
 * Buffers of the tensors in flight at once (loading, computing, waiting to be written). Two 7B MLP tensors of a
 * two-model merge (2 × 180 MB) fit, so both CPU threads stay busy; a third waits.
 */
export const DEFAULT_IN_FLIGHT_BYTES = 400 * 1024 * 1024;

/** The process itself: the runtime, the code, and the worker threads' own heaps and pools' small buffers. */
export const RUNTIME_BYTES = 160 * 1024 * 1024;

/**
 * What a tensor holds while in flight. Read whole (inputs within `preloadBytes`): the buffers of its inputs (laid out in
 * slabs of `slabBytes`, `plan/slabs.ts`), its encoded output and every nested stage's f32 result. Streamed: ranges
 * several stages share (read whole once), a few chunks per input, and nested stages' f32 results.
 */
export function inFlightFootprint(tensor: PlannedTensor, preloadBytes: number = PRELOAD_BYTES, slabBytes = 0): number {
  const elements = numel(tensor.shape);
  const inputBytes = inputBytesOf(tensor.expr);
  const nested = elements * 4 * Math.max(0, merges(tensor.expr) - 1);
  if (!isFloatDType(tensor.dtype)) return inputBytes;
  const outBytes = elements * (tensor.dtype === 'F32' ? 4 : 2);
  if (readsWhole(tensor, preloadBytes)) return layoutBytes(distinctReads(tensor.expr), slabBytes) + (writesInPlace(tensor, outBytes) ? 0 : outBytes) + nested;
  const chunk = Math.min(elements, ENGINE_CHUNK_ELEMENTS);
  const shared = sharedReads(tensor.expr).reduce((s, r) => s + r.length, 0);
  return shared + chunk * 4 * 2 * (allReads(tensor.expr).length + 1) + nested;
}

/**
 * The plan's peak memory: the runtime and the largest set of consecutive tensors the run loop keeps in flight at once
 * (the tensor being written and those after it, while their footprints fit `budget`). The engine's pool reuses the same
 * slabs for every tensor, so it holds no more than that set.
 */
export function planPeakBytes(tensors: readonly PlannedTensor[], budget: number = DEFAULT_IN_FLIGHT_BYTES): number {
  const slabBytes = slabBytesOf(tensors, PRELOAD_BYTES);
  const sizes = tensors.map((t) => inFlightFootprint(t, PRELOAD_BYTES, slabBytes));
  let peak = 0;
  for (let k = 0; k < sizes.length; k++) {
    let held = sizes[k] as number;
    for (let j = k + 1; j < sizes.length && held + (sizes[j] as number) <= budget; j++) held += sizes[j] as number;
    peak = Math.max(peak, held);
  }
  return RUNTIME_BYTES + peak;
}

/** Whether the engine encodes the output over one of the top merge's inputs (same dtype and size; `inPlaceOutput`). */
function writesInPlace(tensor: PlannedTensor, outBytes: number): boolean {
  const expr = tensor.expr;
  return expr.kind === 'merge' && expr.inputs.some((input) => input.kind === 'read' && input.dtype === tensor.dtype && input.length === outBytes);
}

function merges(expr: TensorExpr): number {
  if (expr.kind === 'merge') return 1 + expr.inputs.reduce((s, e) => s + merges(e), 0);
  return expr.kind === 'lora' ? merges(expr.weight) : 0;
}
