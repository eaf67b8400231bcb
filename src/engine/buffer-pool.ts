/**
 * Reusable byte buffers for the engine. Fresh multi-MiB allocations cost first-touch page faults and garbage
 * collection on every tensor (measured: they were a third of a CPU merge's time); the pool hands the same
 * `ArrayBuffer`s out again, tensor after tensor, so steady-state memory is a few buffers of the largest working set.
 */
const GRAIN = 1 << 20;
/**
 * A free buffer larger than this serves only requests of at least half its size: a 7B attention tensor's 34 MB read
 * put in a free 90 MB MLP buffer made the next MLP tensor allocate another 90 MB while the attention tensors still held
 * them (a two-model 7B-shaped SLERP peaked 50 MB higher).
 */
const LARGE = 16 << 20;

/**
 * What a pool allocates: plain `ArrayBuffer`s (moved to a worker and back as transfers), or `SharedArrayBuffer`s where
 * every thread that computes on them can share them (Node worker threads): nothing is transferred, and no thread's
 * garbage collector sees a new external buffer arrive with every message.
 */
export type PoolBuffer = ArrayBuffer | SharedArrayBuffer;

export const plainBuffers = (bytes: number): PoolBuffer => new ArrayBuffer(bytes);
export const sharedBuffers = (bytes: number): PoolBuffer => new SharedArrayBuffer(bytes);

/** Whether `buffer` is shared between threads (posted as is, never in a transfer list). */
export function isShared(buffer: ArrayBufferLike): buffer is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

/** The buffers of `buffers` that a message must transfer (the plain ones; shared ones are posted as they are). */
export function transferable(buffers: readonly ArrayBufferLike[]): ArrayBuffer[] {
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

export class BufferPool {
  private readonly free: PoolBuffer[] = [];
  private retainedBytes = 0;

  /**
   * @param maxRetainedBytes free buffers kept beyond this are dropped (largest first)
   * @param allocate how new buffers are made ({@link plainBuffers} or {@link sharedBuffers})
   */
  constructor(
    private readonly maxRetainedBytes = 1 << 30,
    private readonly allocate: (bytes: number) => PoolBuffer = plainBuffers,
  ) {}

  /**
   * A buffer of at least `bytes` bytes (contents unspecified): the smallest free one that fits (a large one only for at
   * least half its size), else a new one. Give it back with {@link release}.
   */
  acquire(bytes: number): PoolBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = (this.free[i] as PoolBuffer).byteLength;
      if (size >= bytes && (size <= LARGE || size <= 2 * bytes) && (best < 0 || size < (this.free[best] as PoolBuffer).byteLength)) best = i;
    }
    if (best >= 0) {
      const [buffer] = this.free.splice(best, 1) as [PoolBuffer];
      this.retainedBytes -= buffer.byteLength;
      return buffer;
    }
    return this.allocate(Math.max(GRAIN, Math.ceil(bytes / GRAIN) * GRAIN));
  }

  release(buffer: PoolBuffer): void {
    if (buffer.byteLength === 0) return; // detached: it moved to another thread
    this.free.push(buffer);
    this.retainedBytes += buffer.byteLength;
    if (this.retainedBytes <= this.maxRetainedBytes) return;
    this.free.sort((a, b) => a.byteLength - b.byteLength);
    while (this.retainedBytes > this.maxRetainedBytes && this.free.length > 0) this.retainedBytes -= (this.free.pop() as PoolBuffer).byteLength;
  }

  /** Bytes held by free buffers (for tests and the memory estimate). */
  get retained(): number {
    return this.retainedBytes;
  }
}

/** A growable scratch array backed by the pool: `get(n)` returns a view of n elements, reusing the buffer. */
export class Scratch {
  private buffer: PoolBuffer | undefined;

  constructor(private readonly pool: BufferPool) {}

  bytes(length: number): Uint8Array {
    return new Uint8Array(this.ensure(length), 0, length);
  }

  f32(length: number): Float32Array {
    return new Float32Array(this.ensure(length * 4), 0, length);
  }

  release(): void {
    if (this.buffer !== undefined) this.pool.release(this.buffer);
    this.buffer = undefined;
  }

  private ensure(bytes: number): PoolBuffer {
    if (this.buffer !== undefined && this.buffer.byteLength >= bytes) return this.buffer;
    this.release();
    this.buffer = this.pool.acquire(bytes);
    return this.buffer;
  }
}
