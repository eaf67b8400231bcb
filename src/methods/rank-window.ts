/**
 * Exact order statistics over a whole tensor in two streaming passes (a radix select on 32-bit keys): which elements
 * have an ascending rank in `[lo, hi)`, where rank orders by key and, among equal keys, by element index (lower index
 * first, as a stable sort does). Used for top-k magnitudes (TIES), outlier windows (breadcrumbs) and top-k variance
 * (SCE); keys are the f32 bit patterns of non-negative values, which sort like the values.
 *
 * Pass 0 counts the high 16 bits of every key; the buckets holding ranks `lo` and `hi` are then known. Pass 1 counts
 * the low 16 bits inside those buckets, which gives the exact boundary keys and how many elements lie below them.
 * `keep` then streams: elements strictly inside the window are kept, elements equal to a boundary key are decided by
 * how many equal ones came before them. Memory: three 65,536-entry histograms, whatever the tensor size.
 */
const BUCKETS = 65536;

interface Boundary {
  readonly rank: number;
  bucket: number;
  lessBefore: number;
  key: number;
  less: number;
  seen: number;
  low: Uint32Array | undefined;
}

export class RankWindow {
  private readonly high = new Uint32Array(BUCKETS);
  private readonly lower: Boundary | undefined;
  private readonly upper: Boundary | undefined;
  /** Nothing can be kept (empty window). */
  private readonly empty: boolean;

  constructor(
    readonly numel: number,
    lo: number,
    hi: number,
  ) {
    const from = Math.max(0, lo);
    const to = Math.min(numel, hi);
    this.empty = from >= to;
    const boundary = (rank: number): Boundary => ({ rank, bucket: -1, lessBefore: 0, key: 0, less: 0, seen: 0, low: undefined });
    this.lower = !this.empty && from > 0 ? boundary(from) : undefined;
    this.upper = !this.empty && to < numel ? boundary(to) : undefined;
  }

  /** Whether the window needs the two counting passes (a window covering everything or nothing does not). */
  get needsPasses(): boolean {
    return this.lower !== undefined || this.upper !== undefined;
  }

  count(pass: 0 | 1, keys: Uint32Array): void {
    if (pass === 0) {
      for (let i = 0; i < keys.length; i++) this.high[(keys[i] as number) >>> 16]! += 1;
      return;
    }
    for (const b of this.boundaries()) {
      const low = b.low as Uint32Array;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as number;
        if (key >>> 16 === b.bucket) low[key & 0xffff]! += 1;
      }
    }
  }

  endPass(pass: 0 | 1): void {
    for (const b of this.boundaries()) {
      if (pass === 0) {
        const found = locate(this.high, b.rank);
        b.bucket = found.index;
        b.lessBefore = found.before;
        b.low = new Uint32Array(BUCKETS);
      } else {
        const found = locate(b.low as Uint32Array, b.rank - b.lessBefore);
        b.key = ((b.bucket << 16) | found.index) >>> 0;
        b.less = b.lessBefore + found.before;
        b.low = undefined;
      }
    }
  }

  /** Call before each streaming use of {@link keep} (the reduction after the selection, and the output pass). */
  restart(): void {
    for (const b of this.boundaries()) b.seen = 0;
  }

  /** Writes 1 into `mask[i]` for kept elements and 0 otherwise; chunks must come in element order. */
  keep(keys: Uint32Array, mask: Uint8Array): void {
    if (this.empty) {
      mask.fill(0, 0, keys.length);
      return;
    }
    const lower = this.lower;
    const upper = this.upper;
    if (lower === undefined && upper !== undefined) {
      // A top-k window (TIES): one boundary, one comparison for all but the keys equal to it.
      const key = upper.key;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as number;
        mask[i] = k < key ? 1 : k === key && upper.less + upper.seen++ < upper.rank ? 1 : 0;
      }
      return;
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as number;
      let kept = true;
      if (lower !== undefined) {
        if (key < lower.key) kept = false;
        else if (key === lower.key) kept = lower.less + lower.seen++ >= lower.rank;
      }
      if (upper !== undefined) {
        if (key > upper.key) kept = false;
        else if (key === upper.key) kept = upper.less + upper.seen++ < upper.rank && kept;
      }
      mask[i] = kept ? 1 : 0;
    }
  }

  // The same selection with the counting done elsewhere (the WebGPU backend counts on the GPU and streams the keep
  // decisions there): add each pass's histograms, then read the boundary keys.

  /** Pass 0: adds a 65,536-bin histogram of the keys' high 16 bits. */
  addHighCounts(counts: Uint32Array): void {
    for (let i = 0; i < BUCKETS; i++) this.high[i]! += counts[i] as number;
  }

  /** After pass 0: the high-16-bit buckets of the lower and upper boundary keys (undefined where there is none). */
  boundaryBuckets(): [number | undefined, number | undefined] {
    return [this.lower?.bucket, this.upper?.bucket];
  }

  /** Pass 1: adds the histogram of the low 16 bits of keys in boundary `which`'s bucket (0 lower, 1 upper). */
  addLowCounts(which: 0 | 1, counts: Uint32Array): void {
    const low = (which === 0 ? this.lower : this.upper)?.low;
    if (low === undefined) return;
    for (let i = 0; i < BUCKETS; i++) low[i]! += counts[i] as number;
  }

  /**
   * After pass 1: the window as boundary keys. An element with a key strictly between them is kept; one equal to the
   * lower key is kept once `skip` equal ones came before it, one equal to the upper key while fewer than `limit` did.
   */
  selection(): { empty: boolean; lower: { key: number; skip: number } | undefined; upper: { key: number; limit: number } | undefined } {
    const lower = this.lower === undefined ? undefined : { key: this.lower.key, skip: this.lower.rank - this.lower.less };
    const upper = this.upper === undefined ? undefined : { key: this.upper.key, limit: this.upper.rank - this.upper.less };
    return { empty: this.empty, lower, upper };
  }

  private boundaries(): Boundary[] {
    return [this.lower, this.upper].filter((b): b is Boundary => b !== undefined);
  }
}

/** The histogram bin holding the element of 0-based `rank`, and how many elements lie in earlier bins. */
function locate(histogram: Uint32Array, rank: number): { index: number; before: number } {
  let before = 0;
  for (let index = 0; index < histogram.length; index++) {
    const count = histogram[index] as number;
    if (rank < before + count) return { index, before };
    before += count;
  }
  return { index: histogram.length - 1, before };
}

/** Key of |x| for ascending magnitude: the f32 bits without the sign. */
export function magnitudeKeys(values: Float32Array, out: Uint32Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = (bits[i] as number) & 0x7fffffff;
}

/** Key of |x| for *descending* magnitude (largest first), still breaking ties by lower index. */
export function descendingMagnitudeKeys(values: Float32Array, out: Uint32Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = (0x7fffffff - ((bits[i] as number) & 0x7fffffff)) >>> 0;
}
