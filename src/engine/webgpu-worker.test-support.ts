/**
 * Test worker: runs WebGPU backend merges inside a dedicated worker (where the engine runs in the app) and answers with
 * the GPU output and the CPU kernel's, so the page can compare them.
 */
import { viteShaderLibrary } from '../gpu/vite-shaders';
import type { FloatDType } from '../io/safetensors/dtype';
import type { MergeCase } from './webgpu-backend.test-support';
import { caseInputs, caseJob, cpuReference, runBackendMerger } from './webgpu-backend.test-support';
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
];

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
    const reply: WorkerReply = { ok: true, label: backend.label, results };
    await backend.dispose();
    postMessage(reply);
  } catch (error) {
    postMessage({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies WorkerReply);
  }
};
