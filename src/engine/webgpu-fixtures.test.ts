/**
 * The WebGPU backend on whole fixture models (real safetensors bytes, every tensor shape of a small Llama: embeddings,
 * projections, 1-D norms) against the CPU kernels behind the same Backend contract.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fixtureFiles } from '../../test/fixtures/recipe-inputs';
import { createNodeGpu } from '../gpu/node-gpu';
import { nodeShaderLibrary } from '../gpu/node-shaders';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import type { Model } from '../io/model/types';
import { decodeToF32 } from '../io/safetensors/codec';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { MergeJob, ParamValue } from '../methods/kernel';
import type { EncodedChunk } from './backend';
import { BufferPool } from './buffer-pool';
import { cpuMerger } from './cpu-backend';
import { runBackendMerger, ulpDistance } from './webgpu-backend.test-support';

/**
 * The tolerance: at most 1 bf16 ulp — except where the result cancels far below its inputs (b + δ ≈ 0), where f32
 * arithmetic (GPU) and f64 (CPU) legitimately differ by a fraction of an f32 ulp of the inputs, which can be a few
 * bf16 ulps of the tiny result: there |gpu − cpu| ≤ 2^-24 · max|input| is asserted instead.
 */
function outsideTolerance(gpu: Float32Array, cpu: Float32Array, inputs: readonly Float32Array[]): { cancelled: number; outside: number } {
  let cancelled = 0;
  let outside = 0;
  for (let i = 0; i < gpu.length; i++) {
    if (ulpDistance('BF16', gpu.subarray(i, i + 1), cpu.subarray(i, i + 1)).max <= 1) continue;
    const scale = Math.max(...inputs.map((x) => Math.abs(x[i] as number)));
    if (Math.abs((gpu[i] as number) - (cpu[i] as number)) <= 2 ** -24 * scale) cancelled += 1;
    else outside += 1;
  }
  return { cancelled, outside };
}
import { createWebGpuBackend, runsOnGpu } from './webgpu-backend';
import type { WebGpuBackend } from './webgpu-backend';

const IDS = ['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2'];
const METHODS: { method: string; globals: Record<string, ParamValue>; perModel: (i: number) => Record<string, ParamValue> }[] = [
  { method: 'slerp', globals: { t: 0.3 }, perModel: () => ({}) },
  { method: 'ties', globals: {}, perModel: (i) => ({ weight: 0.6, density: i === 0 ? 1 : 0.4 }) },
  { method: 'dare_ties', globals: {}, perModel: () => ({ weight: 0.5, density: 0.6 }) },
  { method: 'della', globals: {}, perModel: () => ({ weight: 0.5, density: 0.5, epsilon: 0.1 }) },
  { method: 'karcher', globals: {}, perModel: () => ({}) },
  { method: 'model_stock', globals: {}, perModel: () => ({}) },
  { method: 'sce', globals: { select_topk: 0.5 }, perModel: () => ({}) },
];

let models: Model[];
let backend: WebGpuBackend;
beforeAll(async () => {
  models = await Promise.all(IDS.map(async (id) => loadModel(memoryFolder(id, await fixtureFiles(id)))));
  backend = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary());
});
afterAll(() => backend.dispose());

async function tensorBytes(model: Model, name: string): Promise<EncodedChunk> {
  const tensor = model.tensors.get(name);
  if (tensor === undefined || !isFloatDType(tensor.dtype)) throw new Error(`no float tensor ${name}`);
  const source = await model.folder.open(tensor.file);
  return { dtype: tensor.dtype, bytes: await source.read(tensor.offset, tensor.length) };
}

describe.each(METHODS)('$method on the fixture models: GPU vs CPU kernels, every tensor', ({ method, globals, perModel }) => {
  it('within 1 bf16 ulp (or an f32 ulp of the inputs where the result cancels)', async () => {
    const inputCount = method === 'slerp' ? 2 : 3;
    let elements = 0;
    let differing = 0;
    let cancelled = 0;
    for (const [name, tensor] of (models[0] as Model).tensors) {
      const count = numel(tensor.shape);
      const job: MergeJob = {
        tensor: name,
        shape: tensor.shape,
        numel: count,
        baseIndex: method === 'karcher' ? undefined : 0,
        globals,
        perModel: Array.from({ length: inputCount }, (_, i) => perModel(i)),
        seed: 99,
      };
      expect(runsOnGpu(method, job)).toBe(true);
      const inputs = await Promise.all(models.slice(0, inputCount).map((m) => tensorBytes(m, name)));
      const cpu = await runBackendMerger(cpuMerger(method, job, inputCount, new BufferPool()), inputs, count, 4096, 'BF16');
      const gpu = await runBackendMerger(await backend.createMerger(method, job, inputCount), inputs, count, 4096, 'BF16');
      const decoded = inputs.map((x) => {
        const values = new Float32Array(count);
        decodeToF32(x.dtype, x.bytes, values);
        return values;
      });
      const check = outsideTolerance(gpu, cpu, decoded);
      expect(check.outside, name).toBe(0);
      elements += count;
      differing += ulpDistance('BF16', gpu, cpu).differing;
      cancelled += check.cancelled;
    }
    console.log(`${method}: ${differing} of ${elements} elements differ, ${cancelled} of them by more than 1 bf16 ulp (where the result cancels)`);
  });
});
