import { describe, expect, it } from 'vitest';

import { METRIC_NAMES } from '../methods/lens-stats';
import { createBrowserWorkerExecutor } from './browser-worker-executor';
import { planLens, runLens } from './lens';
import { poolLensReducer } from './lens-reducer';
import { LENS_T, lensPair, lensReference } from './lens.test-support';

describe("the exact weight lens on the browser's CPU workers", () => {
  it('equals the float64 reference within 1e-9 relative, with the same bits as this thread on the same chunks', async () => {
    const pair = await lensPair(5);
    const pool = createBrowserWorkerExecutor({ threads: 2 });
    try {
      const plan = planLens(pair.a, pair.b, { mode: 'exact' });
      // 64-element chunks: each tensor spans several, spread over both workers.
      const pooled = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, chunkElements: 64, reducer: poolLensReducer(pool) });
      const here = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, chunkElements: 64 });
      expect(pooled.backend).toBe('CPU, 2 workers');
      expect(pooled.tensors.map((t) => t.sums)).toEqual(here.tensors.map((t) => t.sums));
      for (const tensor of pooled.tensors) {
        const [a, b] = pair.values.get(tensor.name) as [Float32Array, Float32Array];
        const want = lensReference(a, b, LENS_T);
        for (const name of METRIC_NAMES) {
          const expected = want[name] as number;
          expect(Math.abs((tensor[name] as number) - expected), `${tensor.name} ${name}`).toBeLessThanOrEqual(1e-9 * Math.abs(expected));
        }
      }
    } finally {
      await pool.dispose();
    }
  });
});
