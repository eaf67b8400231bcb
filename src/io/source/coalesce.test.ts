import { describe, expect, it, vi } from 'vitest';

import { AppError } from '../../shared/errors';
import { ReadCoalescer } from './coalesce';

const FILE = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) & 255);

/** A range reader over FILE that logs each request. */
function fileReader(log: [number, number][], fail = false) {
  return (offset: number, length: number) => {
    log.push([offset, length]);
    return fail ? Promise.reject(new AppError('E_NETWORK', 'down')) : Promise.resolve(FILE.slice(offset, offset + length));
  };
}

const expected = (offset: number, length: number) => [...FILE.subarray(offset, offset + length)];

describe('ReadCoalescer', () => {
  it('reads neighbours issued together with one request, and hands each caller its own bytes', async () => {
    const log: [number, number][] = [];
    const coalescer = new ReadCoalescer(fileReader(log), { maxBytes: 1024, maxGap: 16 });
    const into = new Uint8Array(64);
    const reads = [coalescer.read(200, 50), coalescer.read(100, 100), coalescer.read(260, 40, undefined, into)];
    const [a, b, c] = await Promise.all(reads);
    expect(log).toEqual([[100, 200]]); // 100..300, the 10-byte gap included
    expect([...a!]).toEqual(expected(200, 50));
    expect([...b!]).toEqual(expected(100, 100));
    expect([...c!]).toEqual(expected(260, 40));
    expect(c!.buffer).toBe(into.buffer);
  });

  it('keeps reads apart beyond the gap or the byte budget, and reads issued later in their own turn', async () => {
    const log: [number, number][] = [];
    const coalescer = new ReadCoalescer(fileReader(log), { maxBytes: 300, maxGap: 16 });
    await Promise.all([coalescer.read(0, 100), coalescer.read(100, 100), coalescer.read(200, 150), coalescer.read(1000, 10)]);
    expect(log).toEqual([[0, 200], [200, 150], [1000, 10]]);
    await coalescer.read(10, 10);
    await coalescer.read(20, 10);
    expect(log.slice(3)).toEqual([[10, 10], [20, 10]]);
  });

  it('sends a read larger than half the budget on its own at once', async () => {
    const log: [number, number][] = [];
    const coalescer = new ReadCoalescer(fileReader(log), { maxBytes: 100, maxGap: 16 });
    expect([...(await coalescer.read(0, 60))]).toEqual(expected(0, 60));
    expect(log).toEqual([[0, 60]]);
  });

  it('a failed request fails every read it served; a cancelled read is dropped from the request', async () => {
    const failing = new ReadCoalescer(fileReader([], true), { maxBytes: 1024, maxGap: 16 });
    const results = await Promise.allSettled([failing.read(0, 10), failing.read(10, 10)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const log: [number, number][] = [];
    const coalescer = new ReadCoalescer(fileReader(log), { maxBytes: 1024, maxGap: 16 });
    const controller = new AbortController();
    const cancelled = coalescer.read(0, 10, controller.signal);
    const kept = coalescer.read(10, 10);
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect([...(await kept)]).toEqual(expected(10, 10));
    expect(log).toEqual([[10, 10]]);
  });

  it('leaves no listener on the callers’ signal once a merged request is over', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const coalescer = new ReadCoalescer((offset, length, signal) => {
      seen.push(signal);
      return Promise.resolve(FILE.slice(offset, offset + length));
    }, { maxBytes: 1024, maxGap: 16 });
    const run = new AbortController();
    const added = vi.spyOn(run.signal, 'addEventListener');
    const removed = vi.spyOn(run.signal, 'removeEventListener');
    const [a, b] = await Promise.all([coalescer.read(0, 10, run.signal), coalescer.read(10, 10, run.signal)]);
    expect([...a!, ...b!]).toEqual(expected(0, 20));
    expect(seen).toHaveLength(1);
    expect(added).toHaveBeenCalledTimes(2);
    expect(removed.mock.calls).toEqual(added.mock.calls.map(([type, listener]) => [type, listener]));
    run.abort();
    expect(seen[0]?.aborted).toBe(false); // released: the finished request's signal no longer follows the run's
  });
});
