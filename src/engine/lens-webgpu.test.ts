import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNodeGpu } from '../gpu/node-gpu';
import { nodeShaderLibrary } from '../gpu/node-shaders';
import { swapLimit } from '../gpu/kernels/lens-stats';
import { METRIC_NAMES } from '../methods/lens-stats';
import type { LensReport } from '../methods/lens-report';
import { planLens, runLens } from './lens';
import { LENS_CASES, LENS_T, lensPair, lensReference } from './lens.test-support';
import type { LensPair } from './lens.test-support';
import { chooseLensReducer, createWebGpuLensReducer } from './lens-webgpu';
import type { WebGpuLensReducer } from './lens-webgpu';

const reducers: { normal?: WebGpuLensReducer; small?: WebGpuLensReducer } = {};
let pair: LensPair;

beforeAll(async () => {
  const gpu = createNodeGpu();
  reducers.normal = await createWebGpuLensReducer(gpu, nodeShaderLibrary());
  // 2 KiB bindings: sub-chunks of one block (256 elements), so every tensor crosses several.
  reducers.small = await createWebGpuLensReducer(gpu, nodeShaderLibrary(), { maxBindingBytes: 2048 });
  pair = await lensPair();
});
afterAll(() => {
  reducers.normal?.dispose();
  reducers.small?.dispose();
});

/** The largest relative error of any metric of `report` against the float64 reference (swapped counts must match). */
function checkAgainstReference(report: LensReport, t: number | undefined): number {
  let worst = 0;
  expect(report.tensors.map((x) => x.name).sort()).toEqual(LENS_CASES.map((c) => c.name).sort());
  for (const tensor of report.tensors) {
    const [a, b] = pair.values.get(tensor.name) as [Float32Array, Float32Array];
    const want = lensReference(a, b, t ?? 0);
    for (const name of METRIC_NAMES) {
      if (t === undefined && name.startsWith('nearswap')) {
        expect(tensor[name]).toBeNull();
        continue;
      }
      const got = tensor[name] as number;
      const expected = want[name] as number;
      if (expected === 0) expect(got, `${tensor.name} ${name}`).toBe(0);
      const relative = Math.abs(got - expected) / Math.abs(expected || 1);
      expect(relative, `${tensor.name} ${name}: ${got} vs ${expected}`).toBeLessThanOrEqual(1e-5);
      worst = Math.max(worst, relative);
    }
    // NearSwap's swapped elements are counted by the CPU's rule, exactly.
    if (t !== undefined) expect(tensor.sums.swapped, tensor.name).toBe(Math.round((want['nearswap_swapped'] as number) * a.length));
  }
  return worst;
}

describe('the weight lens on the WebGPU backend (Dawn)', () => {
  it('exact mode equals a float64 reference within 1e-5 relative for every metric: bf16, f16, f32 and mixed inputs, at two sub-chunk sizes', async () => {
    const plan = planLens(pair.a, pair.b, { mode: 'exact' });
    for (const reducer of [reducers.normal, reducers.small] as WebGpuLensReducer[]) {
      const report = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, reducer });
      expect(report.backend).toMatch(/^WebGPU: /);
      const worst = checkAgainstReference(report, LENS_T);
      expect(worst).toBeGreaterThan(0);
      const near = report.tensors.find((x) => x.name === 'near.weight');
      // b − a is a million times smaller than a: summed directly, not from ‖a‖² + ‖b‖² − 2a·b.
      expect(near?.relative_difference).toBeGreaterThan(1e-7);
      expect(near?.relative_difference).toBeLessThan(1e-5);
      const same = report.tensors.find((x) => x.name === 'same.weight');
      expect(same?.sums.dd).toBe(0);
      expect(same?.angle_degrees).toBe(0);
    }
    const plain = await runLens(plan, pair.a, pair.b, { reducer: reducers.small });
    checkAgainstReference(plain, undefined);
  });

  it('agrees with the CPU backend on the same models, and fast mode stays on the CPU', async () => {
    const plan = planLens(pair.a, pair.b, { mode: 'exact' });
    const gpu = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T, reducer: reducers.normal });
    const cpu = await runLens(plan, pair.a, pair.b, { nearswapT: LENS_T });
    expect(cpu.backend).toBe('CPU');
    for (const [i, tensor] of gpu.tensors.entries()) {
      const other = cpu.tensors[i];
      expect(tensor.name).toBe(other?.name);
      expect(tensor.sums.swapped).toBe(other?.sums.swapped);
      for (const name of METRIC_NAMES) expect(Math.abs((tensor[name] as number) - (other?.[name] as number)), `${tensor.name} ${name}`).toBeLessThanOrEqual(1e-5 * Math.abs(other?.[name] as number));
    }
    const fast = await runLens(planLens(pair.a, pair.b, { mode: 'fast' }), pair.a, pair.b, { reducer: reducers.normal });
    expect(fast.backend).toBe('CPU');
  });

  it('counts an element swapped exactly when |b − a| ≤ t, as the CPU does', () => {
    const t = 0.01;
    const limit = swapLimit(t);
    expect(limit).toBeLessThanOrEqual(t);
    // The next f32 above the limit is above t.
    const bits = new Uint32Array(new Float32Array([limit]).buffer);
    bits[0] = (bits[0] as number) + 1;
    expect(new Float32Array(bits.buffer)[0]).toBeGreaterThan(t);
    expect(swapLimit(0.5)).toBe(0.5);
    expect(swapLimit(1e-7)).toBe(-1);
  });

  it('takes the CPU for auto on a software adapter, and the GPU when asked for webgpu', async () => {
    const gpu = createNodeGpu();
    const auto = await chooseLensReducer('auto', gpu, nodeShaderLibrary());
    expect(auto.reducer.label).toBe('CPU');
    expect(auto.note).toMatch(/software/);
    expect(auto.softwareGpu).toBe(false);
    const forced = await chooseLensReducer('webgpu', gpu, nodeShaderLibrary());
    expect(forced.reducer.label).toMatch(/^WebGPU: /);
    // SwiftShader, asked for by name: the CLI gives its threads the cores.
    expect(forced.softwareGpu).toBe(true);
    await forced.dispose();
    await expect(chooseLensReducer('webgpu', undefined, nodeShaderLibrary())).rejects.toMatchObject({ code: 'E_GPU' });
    expect((await chooseLensReducer('auto', undefined, nodeShaderLibrary())).note).toMatch(/No WebGPU adapter/);
  });
});
