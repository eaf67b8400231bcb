import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { METRIC_NAMES } from '../methods/lens-stats';
import type { LensReport } from '../methods/lens-report';
import type { EngineEvent } from './api';
import { planLens, runLens } from './lens';
import type { LensPlan } from './lens';
import { cpuLensReducer, poolLensReducer } from './lens-reducer';
import type { LensReducer } from './lens-reducer';
import { LENS_T, lensPair, lensReference } from './lens.test-support';
import type { LensPair } from './lens.test-support';
import { createNodeWorkerExecutor } from './node-worker-executor';
import type { PoolExecutor } from './worker-pool-executor';

/** 64-element chunks: every tensor of the pair (300 to 2000 elements) spans several, spread over the workers. */
const CHUNK = 64;

let pair: LensPair;
let plan: LensPlan;
const pools: PoolExecutor[] = [];
beforeAll(async () => {
  pair = await lensPair();
  plan = planLens(pair.a, pair.b, { mode: 'exact' });
  pools.push(createNodeWorkerExecutor({ threads: 1 }), createNodeWorkerExecutor({ threads: 2 }));
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.dispose()));
});

function onPool(threads: 1 | 2, extra: { signal?: AbortSignal; onEvent?: (event: EngineEvent) => void } = {}): Promise<LensReport> {
  return runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, chunkElements: CHUNK, reducer: poolLensReducer(pools[threads - 1] as PoolExecutor), ...extra });
}

describe('the exact weight lens on the CPU worker pool', () => {
  it('equals the float64 reference within 1e-9 relative for every metric, on 1 and 2 workers', async () => {
    for (const threads of [1, 2] as const) {
      const report = await onPool(threads);
      expect(report.backend).toBe(`CPU, ${threads} worker thread${threads === 1 ? '' : 's'}`);
      expect(report.tensors.map((t) => t.name)).toEqual(plan.tensors.map((t) => t.name));
      for (const tensor of report.tensors) {
        const [x, y] = pair.values.get(tensor.name) as [Float32Array, Float32Array];
        const expected = lensReference(x, y, LENS_T);
        expect(tensor.sums.elements).toBe(x.length);
        for (const name of METRIC_NAMES) {
          const want = expected[name] as number;
          expect(Math.abs((tensor[name] as number) - want), `${threads} workers: ${tensor.name} ${name}`).toBeLessThanOrEqual(1e-9 * Math.abs(want));
        }
      }
      expect(report.tensors.find((t) => t.name === 'same.weight')?.relative_difference).toBe(0);
    }
  });

  it('gives the same bits run to run and for any pool size, as this thread does with the same chunks, and within 1e-12 of its whole-chunk sums', async () => {
    const [one, two, again] = [await onPool(1), await onPool(2), await onPool(2)];
    const here = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, chunkElements: CHUNK });
    expect(here.backend).toBe('CPU');
    const sums = (report: LensReport) => report.tensors.map((t) => t.sums);
    expect(sums(two)).toEqual(sums(one));
    expect(sums(again)).toEqual(sums(two));
    expect(sums(here)).toEqual(sums(two));
    // Against the default chunking (each tensor in one chunk): only the summation order differs.
    const whole = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T });
    for (const [i, tensor] of two.tensors.entries()) {
      const other = whole.tensors[i]?.sums;
      for (const field of ['aa', 'bb', 'ab', 'dd', 'squaresGap', 'weightSum'] as const) {
        const want = other?.[field] as number;
        expect(Math.abs(tensor.sums[field] - want), `${tensor.name} ${field}`).toBeLessThanOrEqual(1e-12 * Math.abs(want));
      }
      expect(tensor.sums.swapped).toBe(other?.swapped);
      expect(tensor.sums.elements).toBe(other?.elements);
    }
  });

  it('reports progress chunk by chunk, and stops cleanly when cancelled: no chunk left in flight, the pool still usable', async () => {
    const events: EngineEvent[] = [];
    await onPool(2, { onEvent: (event) => events.push(event) });
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(plan.tensors.length);
    expect(progress.at(-1)).toMatchObject({ tensorsDone: plan.tensors.length, bytesDone: plan.bytesToRead });
    const controller = new AbortController();
    let chunksAfterCancel = 0;
    const cancelled = onPool(2, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type !== 'progress') return;
        if (controller.signal.aborted) chunksAfterCancel++;
        else if (event.bytesDone > plan.bytesToRead / 4) controller.abort();
      },
    });
    await expect(cancelled).rejects.toMatchObject({ code: 'E_CANCELLED' });
    // At most the chunks already in flight (two reducing, one being read) finish after the cancel; none start.
    expect(chunksAfterCancel).toBeLessThanOrEqual(3);
    // The lens answers only once they have: nothing reports afterwards.
    const atRejection = chunksAfterCancel;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(chunksAfterCancel).toBe(atRejection);
    const after = await onPool(2);
    expect(after.tensors.map((t) => t.sums)).toEqual((await onPool(1)).tensors.map((t) => t.sums));
  });

  it('keeps at most concurrency + 1 chunk pairs in flight, and reads the next chunks into the buffers of reduced ones', async () => {
    let inFlight = 0;
    let most = 0;
    let chunks = 0;
    const buffers = new Set<ArrayBuffer>();
    // This thread's reducer, answering a little later, as a pool of 3 would.
    const slow: LensReducer = {
      label: 'slow CPU',
      concurrency: 3,
      async add(sums, a, b, count, t) {
        most = Math.max(most, ++inFlight);
        chunks++;
        buffers.add(a.bytes.buffer as ArrayBuffer).add(b.bytes.buffer as ArrayBuffer);
        await new Promise((resolve) => setTimeout(resolve, 1));
        await cpuLensReducer.add(sums, a, b, count, t);
        inFlight--;
      },
    };
    // 16-element chunks: about 400 pairs.
    const report = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, chunkElements: 16, reducer: slow });
    expect(report.tensors.map((t) => t.sums)).toEqual((await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, chunkElements: 16 })).tensors.map((t) => t.sums));
    expect(most).toBe(4);
    // Fresh buffers only where no reduced chunk of that size is free: per tensor, its shorter last pair and the four
    // pairs in flight when its size first comes up. Without reuse it would be two per chunk pair.
    expect(chunks).toBeGreaterThan(400);
    expect(buffers.size).toBeLessThanOrEqual(2 * (4 + 1) * plan.tensors.length);
  });
});
