/**
 * Test worker: runs WebGPU backend merges (and a LoRA bake) inside a dedicated worker (where the engine runs in the app)
 * and answers with the GPU output and the CPU kernel's, so the page can compare them.
 */
import { viteShaderLibrary } from '../gpu/vite-shaders';
import type { FloatDType } from '../io/safetensors/dtype';
import { createCpuBackend } from './cpu-backend';
import type { LoraShape, MergeCase } from './webgpu-backend.test-support';
import { caseInputs, caseJob, cpuReference, loraInput, runBackendMerger } from './webgpu-backend.test-support';
import { createWebGpuBackend, runsOnGpu } from './webgpu-backend';

/** The merges checked in the worker (functions do not cross postMessage, so the cases live here). */
export const WORKER_CASES: readonly MergeCase[] = [
  { name: 'cast', method: 'passthrough', models: 1 },
  { name: 'linear', method: 'linear', models: 3, perModel: (i) => ({ weight: [0.5, 0.3, 0.2][i] as number }) },
  { name: 'slerp', method: 'slerp', models: 2, baseIndex: 0, globals: { t: 0.4 } },
  { name: 'nearswap', method: 'nearswap', models: 2, baseIndex: 0, globals: { t: 0.004 } },
  { name: 'dare_ties', method: 'dare_ties', models: 3, baseIndex: 0, perModel: (i) => ({ weight: 0.5 + i / 4, density: 0.5 }) },
  { name: 'ties', method: 'ties', models: 3, baseIndex: 0, perModel: (i) => ({ weight: 0.5 + i / 4, density: 0.4 }) },
  { name: 'karcher', method: 'karcher', models: 3 },
  { name: 'sce', method: 'sce', models: 3, baseIndex: 0, globals: { select_topk: 0.5 } },
];

/** A LoRA baked into a [29, 71] weight on the GPU (rank 19, fan_in_fan_out), against the CPU bake. */
const LORA: LoraShape = { name: 'lora', out: 71, in: 29, rank: 19, fanInFanOut: true };

export interface WorkerRequest {
  readonly dtype: FloatDType;
  readonly numel: number;
  readonly chunks: readonly number[];
}

export interface WorkerCaseResult {
  readonly name: string;
  readonly onGpu: boolean;
  /** One output per chunk size. */
  readonly gpu: Float32Array[];
  readonly cpu: Float32Array;
}

export type WorkerReply = { readonly ok: true; readonly label: string; readonly results: WorkerCaseResult[] } | { readonly ok: false; readonly error: string };

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { dtype, numel, chunks } = event.data;
  try {
    const backend = await createWebGpuBackend(navigator.gpu, viteShaderLibrary, { maxBindingBytes: 8192 });
    const results: WorkerCaseResult[] = [];
    for (const c of WORKER_CASES) {
      const job = caseJob(c, numel);
      const { encoded, decoded } = caseInputs(c, dtype, numel);
      const gpu: Float32Array[] = [];
      for (const chunk of chunks) gpu.push(await runBackendMerger(await backend.createMerger(c.method, job, c.models), encoded, numel, chunk, dtype));
      results.push({ name: c.name, onGpu: runsOnGpu(c.method, job), gpu, cpu: cpuReference(c, job, decoded, dtype) });
    }
    const { weight, factors } = loraInput(LORA, { w: dtype, a: dtype, b: dtype }, 5);
    const loraNumel = factors.rows * factors.columns;
    const loraJob = caseJob({ name: 'lora', method: 'passthrough', models: 1 }, loraNumel, [factors.rows, factors.columns]);
    const loraGpu: Float32Array[] = [];
    for (const chunk of chunks) loraGpu.push(await runBackendMerger(await backend.createMerger('passthrough', loraJob, 1), [weight], loraNumel, chunk, dtype));
    const loraCpu = await runBackendMerger(await createCpuBackend().createMerger('passthrough', loraJob, 1), [weight], loraNumel, loraNumel, dtype);
    results.push({ name: 'lora', onGpu: runsOnGpu('passthrough', loraJob), gpu: loraGpu, cpu: loraCpu });
    const reply: WorkerReply = { ok: true, label: backend.label, results };
    await backend.dispose();
    postMessage(reply);
  } catch (error) {
    postMessage({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies WorkerReply);
  }
};
