/**
 * How the inputs of a tensor read whole lie in memory. Long reads share buffers of one size for the whole run (slabs):
 * a 7B-shaped two-model merge reads 90 MB MLP ranges and 34 MB attention ranges, and buffers sized to each read left
 * free buffers of one size idle while the other size was made anew (the pool grew to 579 MB for a 400 MiB in-flight
 * budget). With slabs every free buffer fits every tensor, so the buffers made stay within the in-flight budget.
 * Short reads (norms, biases, small models) keep a buffer of their own size.
 */
import { distinctReads, readsWhole } from './reads';
import type { PlannedTensor, ReadExpr } from './types';

/** Reads longer than this go into slabs. */
export const SLAB_MIN_READ_BYTES = 16 * 1024 * 1024;
/** Buffers are made in whole MiB (the engine's pool grain), slabs too. */
const GRAIN = 1024 * 1024;
/** Where each read starts in its slab: aligned for every typed view and 16-byte vector load. */
const ALIGN = 64;

/** A read placed in a slab. */
export interface SlabRead {
  readonly read: ReadExpr;
  /** Byte offset in the slab. */
  readonly offset: number;
}

export interface ReadLayout {
  /** Reads sharing a slab, one array per slab. */
  readonly slabs: readonly (readonly SlabRead[])[];
  /** Reads with a buffer of their own (short ones, and any longer than the slab). */
  readonly own: readonly ReadExpr[];
}

/**
 * The slab size of a run: the longest read, rounded up to whole MiB, among the reads longer than
 * {@link SLAB_MIN_READ_BYTES} of the float tensors read whole (inputs within `preloadBytes`); 0 when there is none.
 */
export function slabBytesOf(tensors: readonly PlannedTensor[], preloadBytes: number): number {
  let longest = 0;
  for (const tensor of tensors) {
    if (!readsWhole(tensor, preloadBytes)) continue;
    for (const read of distinctReads(tensor.expr)) if (read.length > SLAB_MIN_READ_BYTES) longest = Math.max(longest, read.length);
  }
  return Math.ceil(longest / GRAIN) * GRAIN;
}

/** Long reads packed first-fit, in order, into slabs of `slabBytes` (none with 0); the others on their own. */
export function layoutReads(reads: readonly ReadExpr[], slabBytes: number): ReadLayout {
  const slabs: { reads: SlabRead[]; used: number }[] = [];
  const own: ReadExpr[] = [];
  for (const read of reads) {
    if (read.length <= SLAB_MIN_READ_BYTES || read.length > slabBytes) {
      own.push(read);
      continue;
    }
    let slab = slabs.find((s) => s.used + read.length <= slabBytes);
    if (slab === undefined) {
      slab = { reads: [], used: 0 };
      slabs.push(slab);
    }
    slab.reads.push({ read, offset: slab.used });
    slab.used = Math.ceil((slab.used + read.length) / ALIGN) * ALIGN;
  }
  return { slabs: slabs.map((s) => s.reads), own };
}

/** Bytes of the buffers holding `reads` laid out with `slabBytes`. */
export function layoutBytes(reads: readonly ReadExpr[], slabBytes: number): number {
  const layout = layoutReads(reads, slabBytes);
  return layout.slabs.length * slabBytes + layout.own.reduce((sum, read) => sum + read.length, 0);
}
