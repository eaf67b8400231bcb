import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNodeGpu } from '../gpu/node-gpu';
import { nodeShaderLibrary } from '../gpu/node-shaders';
import type { FloatDType } from '../io/safetensors/dtype';
import { isAppError } from '../shared/errors';
import type { MergeCase } from './webgpu-backend.test-support';
import { caseInputs, caseJob, cpuReference, runBackendMerger, sameBits, scaledError, ulpDistance } from './webgpu-backend.test-support';
import { useTestBackends } from './webgpu-node.test-support';
import { createWebGpuBackend, runsOnGpu } from './webgpu-backend';
import type { WebGpuBackend } from './webgpu-backend';

const DTYPES: FloatDType[] = ['F32', 'F16', 'BF16'];
/** Odd, and larger than a forced 4 KiB binding (256-element sub-chunks for up to 4 inputs). */
const NUMEL = 3001;
const CHUNKS = [NUMEL, 1000, 333];

const CASES: MergeCase[] = [
  { name: 'passthrough (cast)', method: 'passthrough', models: 1 },
  { name: 'passthrough scaled', method: 'passthrough', models: 1, perModel: () => ({ scale: 0.7 }) },
  { name: 'linear, normalised', method: 'linear', models: 3, perModel: (i) => ({ weight: [0.5, 0.3, 0.2][i] as number }), globals: { normalize: true } },
  { name: 'linear, raw weights', method: 'linear', models: 2, perModel: (i) => ({ weight: [1.3, -0.4][i] as number }), globals: { normalize: false } },
  { name: 'task_arithmetic', method: 'task_arithmetic', models: 3, baseIndex: 0, perModel: (i) => ({ weight: [1, 0.6, 0.5][i] as number }) },
  { name: 'nearswap', method: 'nearswap', models: 2, baseIndex: 0, globals: { t: 0.004 } },
  { name: 'slerp (related)', method: 'slerp', models: 2, baseIndex: 0, globals: { t: 0.35 } },
  { name: 'slerp (independent)', method: 'slerp', models: 2, baseIndex: 1, globals: { t: 0.6 }, related: false },
  { name: 'dare_linear (rescale)', method: 'dare_linear', models: 3, baseIndex: 0, perModel: (i) => ({ weight: [1, 0.5, 0.5][i] as number, density: 0.4 }) },
  { name: 'dare_ties', method: 'dare_ties', models: 4, baseIndex: 2, perModel: (i) => ({ weight: [0.3, 0.5, 1, 0.7][i] as number, density: [0.5, 0.7, 1, 0.2][i] as number }) },
  { name: 'dare_ties no rescale', method: 'dare_ties', models: 3, baseIndex: 0, globals: { rescale: false }, perModel: (i) => ({ weight: 0.6, density: 0.5 + i / 10 }) },
  { name: 'ties (exact top-k)', method: 'ties', models: 3, baseIndex: 0, perModel: (i) => ({ weight: [1, 0.8, -0.5][i] as number, density: [1, 0.3, 0.55][i] as number }) },
  { name: 'ties with rescale', method: 'ties', models: 3, baseIndex: 1, globals: { rescale: true, lambda: 0.9 }, perModel: (i) => ({ weight: 0.7, density: 0.2 + i / 5 }) },
  { name: 'breadcrumbs', method: 'breadcrumbs', models: 3, baseIndex: 0, perModel: (i) => ({ weight: 0.5, density: 0.6 + i / 10, gamma: 0.05 }) },
  { name: 'breadcrumbs_ties', method: 'breadcrumbs_ties', models: 4, baseIndex: 3, perModel: (i) => ({ weight: 0.4 + i / 10, density: 0.5, gamma: 0.1 * i }) },
  { name: 'karcher', method: 'karcher', models: 3, globals: { max_iter: 10, tol: 1e-5 } },
  { name: 'model_stock', method: 'model_stock', models: 4, baseIndex: 0 },
  { name: 'multislerp with base', method: 'multislerp', models: 4, baseIndex: 1, perModel: (i) => ({ weight: [0, 1, 0.5, 2][i] as number }) },
  { name: 'multislerp', method: 'multislerp', models: 3, perModel: (i) => ({ weight: 1 + i }), related: false },
  { name: 'nuslerp', method: 'nuslerp', models: 3, baseIndex: 0, perModel: (i) => ({ weight: [0, 0.3, 0.7][i] as number }) },
  { name: 'della (rows)', method: 'della', models: 3, baseIndex: 0, shape: [23, 130], perModel: (i) => ({ weight: 0.5 + i / 5, density: [1, 0.5, 0.3][i] as number, epsilon: 0.15 }) },
  { name: 'della_linear (rows of 300)', method: 'della_linear', models: 4, baseIndex: 1, shape: [10, 300], perModel: (i) => ({ weight: 0.3 * i, density: [0.6, 1, 0, 0.4][i] as number, epsilon: 0.2 }) },
  { name: 'ties at density 1', method: 'ties', models: 3, baseIndex: 0, perModel: (i) => ({ weight: [1, 0.8, -0.5][i] as number, density: 1 }) },
  { name: 'sce (no selection)', method: 'sce', models: 3, baseIndex: 0 },
  { name: 'sce select_topk 0.5', method: 'sce', models: 4, baseIndex: 1, globals: { select_topk: 0.5 } },
  { name: 'sce select_topk 0.13, weights ignored', method: 'sce', models: 3, baseIndex: 2, globals: { select_topk: 0.13 }, perModel: (i) => ({ weight: i }) },
  { name: 'sce select_topk 0 (keeps nothing)', method: 'sce', models: 3, baseIndex: 0, globals: { select_topk: 0 } },
];

/**
 * Tolerances (measured, see the log lines): the CPU kernels compute in f64, the GPU in f32. Rounded to BF16 or F16 the
 * outputs are equal or 1 ulp apart (a few elements per thousand); in F32, ulps are meaningless where terms cancel, so
 * the bound is on |gpu − cpu| in units of 2^-24 · max|cpu| (half an f32 ulp at the tensor's largest value).
 */
const F32_BOUND = 4;

const backends = useTestBackends();

describe.each(CASES)('$name on the GPU vs the CPU kernel', (c) => {
  it.each(DTYPES)('%s inputs and output, several chunk sizes, forced small bindings', async (dtype) => {
    const numel = c.shape === undefined ? NUMEL : c.shape.reduce((a, b) => a * b, 1);
    const job = caseJob(c, numel, c.shape);
    expect(runsOnGpu(c.method, job)).toBe(true);
    const { encoded, decoded } = caseInputs(c, dtype, numel);
    const expected = cpuReference(c, job, decoded, dtype);
    const results: Float32Array[] = [];
    for (const chunk of CHUNKS) {
      results.push(await runBackendMerger(await backends.normal.createMerger(c.method, job, c.models), encoded, numel, chunk, dtype));
    }
    results.push(await runBackendMerger(await backends.small.createMerger(c.method, job, c.models), encoded, numel, 1000, dtype));
    for (const other of results.slice(1)) expect(sameBits(other, results[0] as Float32Array)).toBe(true);
    const distance = ulpDistance(dtype, results[0] as Float32Array, expected);
    const scaled = scaledError(results[0] as Float32Array, expected);
    console.log(`${c.name} ${dtype}: max ${distance.max} ulp, ${distance.differing}/${numel} differ, scaled ${scaled.toFixed(2)}`);
    if (dtype === 'F32') expect(scaled).toBeLessThanOrEqual(F32_BOUND);
    else expect(distance.max).toBeLessThanOrEqual(1);
  });
});

describe('methods without a GPU kernel run the CPU kernel inside the backends.normal', () => {
  const fallbacks: MergeCase[] = [
    { name: 'model_stock filter_wise', method: 'model_stock', models: 3, baseIndex: 0, globals: { filter_wise: true } },
    { name: 'nuslerp row-wise', method: 'nuslerp', models: 2, perModel: () => ({ weight: 1 }), globals: { nuslerp_flatten: false } },
  ];
  it.each(fallbacks)('$name equals the CPU kernel bit for bit', async (c) => {
    const job = caseJob(c, 3000, [30, 100]);
    expect(runsOnGpu(c.method, job)).toBe(false);
    const { encoded, decoded } = caseInputs(c, 'BF16', 3000);
    const got = await runBackendMerger(await backends.normal.createMerger(c.method, job, c.models), encoded, 3000, 1000, 'BF16');
    expect(sameBits(got, cpuReference(c, job, decoded, 'BF16'))).toBe(true);
  });
});

describe('device loss', () => {
  const slerp = CASES.find((c) => c.method === 'slerp') as MergeCase;
  const job = caseJob(slerp, NUMEL);
  const { encoded } = caseInputs(slerp, 'BF16', NUMEL);

  it('destroying the device mid-tensor is reported as E_DEVICE_LOST; a fresh backends.normal gives the exact output', async () => {
    const devices: GPUDevice[] = [];
    const gpu = createNodeGpu();
    const fragile = await createWebGpuBackend(gpu, nodeShaderLibrary(), { recoverFromLoss: false, onDevice: (d) => devices.push(d) });
    const merger = await fragile.createMerger('slerp', job, 2);
    const failure = await runBackendMerger(merger, encoded, NUMEL, 1000, 'BF16', (start) => {
      if (start > 0) devices[0]?.destroy();
    }).catch((error: unknown) => error);
    expect(isAppError(failure, 'E_DEVICE_LOST')).toBe(true);
    await fragile.dispose();

    const fresh = await createWebGpuBackend(gpu, nodeShaderLibrary());
    const expected = await runBackendMerger(await backends.normal.createMerger('slerp', job, 2), encoded, NUMEL, 1000, 'BF16');
    const again = await runBackendMerger(await fresh.createMerger('slerp', job, 2), encoded, NUMEL, 1000, 'BF16');
    expect(sameBits(again, expected)).toBe(true);
    await fresh.dispose();
  });

  it('by default the backends.normal opens a new device and redoes the chunk, with the same output', async () => {
    const devices: GPUDevice[] = [];
    const resilient = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { onDevice: (d) => devices.push(d) });
    const expected = await runBackendMerger(await backends.normal.createMerger('slerp', job, 2), encoded, NUMEL, 1000, 'BF16');
    const got = await runBackendMerger(await resilient.createMerger('slerp', job, 2), encoded, NUMEL, 1000, 'BF16', (start) => {
      if (start > 0 && devices.length === 1) devices[0]?.destroy();
    });
    expect(resilient.recoveries).toBe(1);
    expect(devices).toHaveLength(2);
    expect(sameBits(got, expected)).toBe(true);
    await resilient.dispose();
  });
});

describe('the staging ring', () => {
  // 1 KiB slots: 256-element sub-chunks, several in flight per chunk, on ordinary (large) bindings.
  const ringCases = CASES.filter((c) => ['linear, normalised', 'slerp (related)', 'dare_ties', 'ties (exact top-k)', 'della (rows)', 'karcher', 'sce select_topk 0.5'].includes(c.name));
  let ring: WebGpuBackend;
  let oneByOne: WebGpuBackend;
  beforeAll(async () => {
    ring = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { slotBytes: 1024 });
    oneByOne = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { slotBytes: 1024, ringSlots: 1 });
  });
  afterAll(async () => {
    await ring.dispose();
    await oneByOne.dispose();
  });

  it.each(ringCases)('$name: sub-chunks in flight give the bytes of one at a time and of unchunked runs', async (c) => {
    const numel = c.shape === undefined ? NUMEL : c.shape.reduce((a, b) => a * b, 1);
    const job = caseJob(c, numel, c.shape);
    const { encoded } = caseInputs(c, 'BF16', numel);
    const whole = await runBackendMerger(await backends.normal.createMerger(c.method, job, c.models), encoded, numel, numel, 'BF16');
    for (const chunk of [numel, 1000]) {
      expect(sameBits(await runBackendMerger(await ring.createMerger(c.method, job, c.models), encoded, numel, chunk, 'BF16'), whole)).toBe(true);
      expect(sameBits(await runBackendMerger(await oneByOne.createMerger(c.method, job, c.models), encoded, numel, chunk, 'BF16'), whole)).toBe(true);
    }
  });

  it('a device lost with sub-chunks in flight: a new device redoes them, with the same output', async () => {
    const c = CASES.find((x) => x.name === 'linear, normalised') as MergeCase;
    const job = caseJob(c, NUMEL);
    const { encoded } = caseInputs(c, 'BF16', NUMEL);
    const expected = await runBackendMerger(await backends.normal.createMerger(c.method, job, c.models), encoded, NUMEL, NUMEL, 'BF16');
    const devices: GPUDevice[] = [];
    const fragile = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), {
      slotBytes: 1024,
      onDevice: (device) => {
        devices.push(device);
        if (devices.length > 1) return;
        // The first device is destroyed right after its fifth submission, while earlier readbacks are pending.
        const submit = device.queue.submit.bind(device.queue);
        let submissions = 0;
        device.queue.submit = (buffers) => {
          submit(buffers);
          if (++submissions === 5) device.destroy();
        };
      },
    });
    const got = await runBackendMerger(await fragile.createMerger(c.method, job, c.models), encoded, NUMEL, NUMEL, 'BF16');
    expect(fragile.recoveries).toBe(1);
    expect(sameBits(got, expected)).toBe(true);
    await fragile.dispose();
  });
});

describe('exact ranks on the GPU (top-k, DELLA): many equal magnitudes, ties broken by element index as on the CPU', () => {
  // Task vectors from a few exact levels, so thousands of elements share each magnitude and the window boundaries
  // fall inside runs of equal keys; the sums are exact in f32 and f64, so the outputs must match bit for bit.
  const numel = 2999;
  const levels = (seed: number) => Float32Array.from({ length: numel }, (_, i) => ((((i * 7919 + seed * 104729) >>> 3) % 9) - 4) * 0.125);
  const inputs = [new Float32Array(numel), levels(1), levels(2), levels(3)];
  const encoded = inputs.map((x) => ({ dtype: 'F32' as const, bytes: new Uint8Array(x.buffer) }));
  const cases: MergeCase[] = [
    { name: 'ties', method: 'ties', models: 4, baseIndex: 0, globals: { normalize: false }, perModel: (i) => ({ weight: 1, density: [1, 0.3, 0.5, 0.71][i] as number }) },
    { name: 'breadcrumbs', method: 'breadcrumbs', models: 4, baseIndex: 0, perModel: (i) => ({ weight: 1, density: 0.6, gamma: [0, 0.1, 0.25, 0.33][i] as number }) },
    { name: 'breadcrumbs_ties', method: 'breadcrumbs_ties', models: 4, baseIndex: 0, perModel: () => ({ weight: 1, density: 0.45, gamma: 0.2 }) },
    { name: 'della_linear (ranks within one 2,999-element row)', method: 'della_linear', models: 4, baseIndex: 0, globals: { rescale: false }, perModel: () => ({ weight: 1, density: 0.5, epsilon: 0.3 }) },
  ];
  it.each(cases)('$name', async (c) => {
    const job = caseJob(c, numel);
    const expected = cpuReference(c, job, inputs, 'F32');
    for (const [b, chunk] of [[backends.normal, numel], [backends.small, 700], [backends.small, 256]] as const) {
      const got = await runBackendMerger(await b.createMerger(c.method, job, 4), encoded, numel, chunk, 'F32');
      expect(sameBits(got, expected)).toBe(true);
    }
  });

  it('sce: the top-k of the variance selects the same elements (variances exact in f32 with four task vectors)', async () => {
    const sceInputs = [...inputs, levels(4)];
    const sceEncoded = sceInputs.map((x) => ({ dtype: 'F32' as const, bytes: new Uint8Array(x.buffer) }));
    const c: MergeCase = { name: 'sce', method: 'sce', models: 5, baseIndex: 0, globals: { select_topk: 0.37 } };
    const job = caseJob(c, numel);
    const expected = cpuReference(c, job, sceInputs, 'F32');
    const base = sceInputs[0] as Float32Array;
    const kept = (out: Float32Array) => Array.from(out, (v, i) => v !== base[i]);
    const keptCount = kept(expected).filter(Boolean).length;
    expect(keptCount).toBeGreaterThan(0);
    expect(keptCount).toBeLessThan(numel * 0.37);
    for (const [b, chunk] of [[backends.normal, numel], [backends.small, 700], [backends.small, 256]] as const) {
      const got = await runBackendMerger(await b.createMerger(c.method, job, 5), sceEncoded, numel, chunk, 'F32');
      // The selection (elements left at the base) is exact; the weighted mix is f32 against f64.
      expect(kept(got)).toEqual(kept(expected));
      expect(scaledError(got, expected)).toBeLessThanOrEqual(F32_BOUND);
    }
  });
});

describe('concurrent use', () => {
  it('mergers used at the same time give the same bytes as one after the other', async () => {
    const cases = CASES.filter((c) => ['slerp', 'dare_ties', 'ties', 'linear'].includes(c.method));
    const run = async (c: MergeCase) => {
      const job = caseJob(c, NUMEL);
      const { encoded } = caseInputs(c, 'BF16', NUMEL);
      return runBackendMerger(await backends.small.createMerger(c.method, job, c.models), encoded, NUMEL, 1000, 'BF16');
    };
    const sequential: Float32Array[] = [];
    for (const c of cases) sequential.push(await run(c));
    const concurrent = await Promise.all(cases.map(run));
    concurrent.forEach((out, i) => expect(sameBits(out, sequential[i] as Float32Array)).toBe(true));
  });
});

describe('errors', () => {
  it('an invalid job is rejected with the CPU kernel’s typed error, naming the tensor', async () => {
    const c: MergeCase = { name: 'model_stock', method: 'model_stock', models: 2, baseIndex: 0 };
    const error = await backends.normal.createMerger('model_stock', caseJob(c, 10), 2).catch((e: unknown) => e);
    expect(isAppError(error, 'E_RECIPE_INVALID')).toBe(true);
    expect((error as { context: { tensor?: string } }).context.tensor).toBe(caseJob(c, 10).tensor);
    expect(isAppError(await backends.normal.createMerger('nope', caseJob(c, 10), 2).catch((e: unknown) => e), 'E_UNKNOWN_METHOD')).toBe(true);
  });
});
