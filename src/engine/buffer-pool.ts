/**
 * Reusable byte buffers for the engine. Fresh multi-MiB allocations cost first-touch page faults and garbage
 * collection on every tensor (measured: they were a third of a CPU merge's time); the pool hands the same
 * `ArrayBuffer`s out again, tensor after tensor, so steady-state memory is a few buffers of the largest working set.
 */
const GRAIN = 1 << 20;

export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private retainedBytes = 0;

  /** @param maxRetainedBytes free buffers kept beyond this are dropped (largest first) */
  constructor(private readonly maxRetainedBytes = 1 << 30) {}

  /** A buffer of at least `bytes` bytes (contents unspecified). Give it back with {@link release}. */
  acquire(bytes: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = (this.free[i] as ArrayBuffer).byteLength;
      if (size >= bytes && (best < 0 || size < (this.free[best] as ArrayBuffer).byteLength)) best = i;
    }
    if (best >= 0) {
      const [buffer] = this.free.splice(best, 1) as [ArrayBuffer];
      this.retainedBytes -= buffer.byteLength;
      return buffer;
    }
    return new ArrayBuffer(Math.max(GRAIN, Math.ceil(bytes / GRAIN) * GRAIN));
  }

  release(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // detached: it moved to another thread
    this.free.push(buffer);
    this.retainedBytes += buffer.byteLength;
    if (this.retainedBytes <= this.maxRetainedBytes) return;
    this.free.sort((a, b) => a.byteLength - b.byteLength);
    while (this.retainedBytes > this.maxRetainedBytes && this.free.length > 0) this.retainedBytes -= (this.free.pop() as ArrayBuffer).byteLength;
  }

  /** Bytes held by free buffers (for tests and the memory estimate). */
  get retained(): number {
    return this.retainedBytes;
  }
}

/** A growable scratch array backed by the pool: `get(n)` returns a view of n elements, reusing the buffer. */
export class Scratch {
  private buffer: ArrayBuffer | undefined;

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

  private ensure(bytes: number): ArrayBuffer {
    if (this.buffer !== undefined && this.buffer.byteLength >= bytes) return this.buffer;
    this.release();
    this.buffer = this.pool.acquire(bytes);
    return this.buffer;
  }
}
