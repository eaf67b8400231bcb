import { describe, expect, it } from 'vitest';

import { viteShaderLibrary } from '../gpu/vite-shaders';
import { METRIC_NAMES } from '../methods/lens-stats';
import { planLens, runLens } from './lens';
import { LENS_T, lensPair, lensReference } from './lens.test-support';
import { createWebGpuLensReducer } from './lens-webgpu';

describe("the weight lens on Chromium's WebGPU", () => {
  it('exact mode equals a float64 reference within 1e-5 relative and counts swapped elements as the CPU does', async () => {
    const pair = await lensPair(3);
    // 2 KiB bindings: every tensor crosses several sub-chunks.
    const reducer = await createWebGpuLensReducer(navigator.gpu, viteShaderLibrary, { maxBindingBytes: 2048 });
    try {
      const plan = planLens(pair.a, pair.b, { mode: 'exact' });
      const gpu = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, reducer });
      const cpu = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T });
      expect(gpu.backend).toMatch(/^WebGPU: /);
      expect(gpu.tensors).toHaveLength(pair.values.size);
      for (const [i, tensor] of gpu.tensors.entries()) {
        const [a, b] = pair.values.get(tensor.name) as [Float32Array, Float32Array];
        const want = lensReference(a, b, LENS_T);
        for (const name of METRIC_NAMES) {
          const expected = want[name] as number;
          expect(Math.abs((tensor[name] as number) - expected), `${tensor.name} ${name}`).toBeLessThanOrEqual(1e-5 * Math.abs(expected));
        }
        expect(tensor.sums.swapped, tensor.name).toBe(cpu.tensors[i]?.sums.swapped);
      }
    } finally {
      reducer.dispose();
    }
  });
});
