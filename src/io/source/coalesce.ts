/**
 * Merges small reads of one file that arrive together into one ranged request: the engine loads several small
 * tensors ahead at once (norms, biases, the next layer's smaller matrices), and over the network each request is a
 * round trip. Reads issued in the same turn of the event loop are sorted; neighbours (at most `maxGap` bytes apart)
 * are fetched together while the merged range stays within `maxBytes`. Large reads go out as they are.
 */
import { AppError } from '../../shared/errors';

export type RangeReader = (offset: number, length: number, signal?: AbortSignal, into?: Uint8Array) => Promise<Uint8Array>;

export interface CoalesceOptions {
  /** Largest merged request, in bytes. */
  readonly maxBytes: number;
  /** Bytes between two reads that are fetched (and dropped) to join them. */
  readonly maxGap: number;
}

const DEFAULT_COALESCE: CoalesceOptions = { maxBytes: 16 * 1024 * 1024, maxGap: 64 * 1024 };

interface Pending {
  readonly offset: number;
  readonly length: number;
  readonly signal: AbortSignal | undefined;
  readonly into: Uint8Array | undefined;
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
}

export class ReadCoalescer {
  private queue: Pending[] = [];

  constructor(
    private readonly readRange: RangeReader,
    private readonly options: CoalesceOptions = DEFAULT_COALESCE,
  ) {}

  read(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    if (length === 0 || length > this.options.maxBytes / 2) return this.readRange(offset, length, signal, into);
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setTimeout(() => this.flush(), 0);
      this.queue.push({ offset, length, signal, into, resolve, reject });
    });
  }

  private flush(): void {
    const queue = this.queue.sort((a, b) => a.offset - b.offset);
    this.queue = [];
    let group: Pending[] = [];
    // The group's end, kept as reads join (sorted by offset, so the first read is its start).
    let end = 0;
    for (const read of queue) {
      const first = group[0];
      if (first !== undefined && (read.offset > end + this.options.maxGap || Math.max(end, read.offset + read.length) - first.offset > this.options.maxBytes)) {
        void this.fetchGroup(group);
        group = [];
        end = 0;
      }
      group.push(read);
      end = Math.max(end, read.offset + read.length);
    }
    if (group.length > 0) void this.fetchGroup(group);
  }

  private async fetchGroup(group: readonly Pending[]): Promise<void> {
    const live = group.filter((read) => {
      if (read.signal?.aborted !== true) return true;
      read.reject(new AppError('E_CANCELLED', 'Cancelled.'));
      return false;
    });
    const [only] = live;
    if (only === undefined) return;
    if (live.length === 1) {
      await this.readRange(only.offset, only.length, only.signal, only.into).then(only.resolve, only.reject);
      return;
    }
    const start = only.offset;
    const end = live.reduce((e, r) => Math.max(e, r.offset + r.length), 0);
    // One request serves several callers: it is cancelled only when every one of them is.
    const { signal, release } = allAborted(live.map((r) => r.signal));
    try {
      const bytes = await this.readRange(start, end - start, signal);
      for (const read of live) {
        const piece = bytes.subarray(read.offset - start, read.offset - start + read.length);
        const out = read.into !== undefined && read.into.byteLength >= read.length ? read.into.subarray(0, read.length) : new Uint8Array(read.length);
        out.set(piece);
        read.resolve(out);
      }
    } catch (error) {
      for (const read of live) read.reject(error);
    } finally {
      release();
    }
  }
}

/**
 * A signal that aborts once every given signal has (never, when one of them is absent), and `release`, which takes its
 * listeners off the given signals once the request is over (a run's one signal would otherwise gather one per read).
 */
function allAborted(signals: readonly (AbortSignal | undefined)[]): { signal: AbortSignal | undefined; release: () => void } {
  if (signals.some((s) => s === undefined)) return { signal: undefined, release: () => undefined };
  const controller = new AbortController();
  const check = () => {
    if (signals.every((s) => s?.aborted === true)) controller.abort();
  };
  for (const s of signals) s?.addEventListener('abort', check, { once: true });
  return { signal: controller.signal, release: () => signals.forEach((s) => s?.removeEventListener('abort', check)) };
}
