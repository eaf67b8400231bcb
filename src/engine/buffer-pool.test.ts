import { describe, expect, it } from 'vitest';

import { BufferPool, Scratch, isShared, sharedBuffers, transferable } from './buffer-pool';

describe('BufferPool', () => {
  it('hands released buffers out again, the smallest that fits first', () => {
    const pool = new BufferPool();
    const big = pool.acquire(5 << 20);
    const small = pool.acquire(1 << 20);
    pool.release(big);
    pool.release(small);
    expect(pool.acquire(100)).toBe(small);
    expect(pool.acquire(2 << 20)).toBe(big);
    expect(pool.retained).toBe(0);
  });

  it('drops the largest free buffers beyond its retention cap, and ignores detached ones', () => {
    const pool = new BufferPool(3 << 20);
    const buffers = [pool.acquire(1 << 20), pool.acquire(2 << 20), pool.acquire(4 << 20)];
    for (const b of buffers) pool.release(b);
    expect(pool.retained).toBe(3 << 20);
    const moved = pool.acquire(1 << 20);
    structuredClone(moved, { transfer: [moved] });
    pool.release(moved);
    expect(pool.retained).toBe(2 << 20);
  });

  it('hands a large free buffer out only for at least half its size', () => {
    const pool = new BufferPool();
    const large = pool.acquire(64 << 20);
    pool.release(large);
    const small = pool.acquire(20 << 20);
    expect(small).not.toBe(large);
    expect(small.byteLength).toBe(20 << 20);
    expect(pool.acquire(32 << 20)).toBe(large);
  });

  it('allocates shared buffers when asked, and leaves them out of transfer lists', () => {
    const pool = new BufferPool(undefined, sharedBuffers);
    const shared = pool.acquire(3 << 20);
    expect(isShared(shared)).toBe(true);
    expect(shared.byteLength).toBe(3 << 20);
    pool.release(shared);
    expect(pool.acquire(1 << 20)).toBe(shared);
    const plain = new BufferPool().acquire(1);
    expect(isShared(plain)).toBe(false);
    expect(transferable([shared, plain])).toEqual([plain]);
  });

  it('gives scratch views of the requested length over one reused buffer', () => {
    const pool = new BufferPool();
    const scratch = new Scratch(pool);
    const a = scratch.f32(10);
    const b = scratch.bytes(40);
    expect(a.length).toBe(10);
    expect(b.buffer).toBe(a.buffer);
    scratch.release();
    expect(pool.retained).toBe(a.buffer.byteLength);
  });
});
