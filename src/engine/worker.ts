/**
 * The engine's module worker: exposes {@link EngineApi} through comlink. Each call answers an {@link EngineResult}
 * (errors as `ErrorPayload`s, so code, context and hint survive the crossing). A run's events reach the page in
 * batches, at most every {@link BATCH_INTERVAL_MS} (and at once at the start, after each shard and at the end);
 * `cancel` aborts the run's `AbortSignal` here in the worker.
 */
import * as Comlink from 'comlink';

import { toAppError } from '../shared/errors';
import type { EngineApi, EngineEvent, EngineEventBatchListener, EngineResult } from './api';
import { viteShaderLibrary } from '../gpu/vite-shaders';
import type { Backend } from './backend';
import { createBrowserWorkerExecutor } from './browser-worker-executor';
import { poolLensReducer } from './lens-reducer';
import { lensCost, lensRun } from './lens-service';
import { chooseLensReducer } from './lens-webgpu';
import { inspectOutput, inspectSource, planRequest, runRequest } from './service';
import { createWebGpuBackend } from './webgpu-backend';

/** Progress reaches the page at most this often (plus at once for a run's start, shards and end). */
const BATCH_INTERVAL_MS = 100;

const runs = new Map<string, AbortController>();

/**
 * The WebGPU backend when this browser has a hardware adapter; otherwise undefined, and the run uses the CPU backend
 * (a software adapter such as SwiftShader is slower than the CPU kernels; the page shows the notice).
 */
async function gpuBackend(): Promise<Backend | undefined> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined) return undefined;
  try {
    const backend = await createWebGpuBackend(gpu, viteShaderLibrary);
    if (!backend.software) return backend;
    await backend.dispose();
  } catch {
    // No adapter, or it failed to start: the CPU backend runs the merge.
  }
  return undefined;
}

async function settle<T>(work: () => Promise<T>): Promise<EngineResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: toAppError(error).toPayload() };
  }
}

/** Queues events and hands them over in batches; `flush` sends what is queued. */
function batcher(listener: EngineEventBatchListener): { push(event: EngineEvent): void; flush(): void } {
  let queue: EngineEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    listener(batch);
  };
  return {
    push(event) {
      queue.push(event);
      if (event.type === 'start' || event.type === 'finalizing' || event.type === 'done') flush();
      // The engine reports progress right after a shard: send both together.
      else if (event.type === 'shard-written') queueMicrotask(flush);
      else timer ??= setTimeout(flush, BATCH_INTERVAL_MS);
    },
    flush,
  };
}

/** The exact lens on the CPU: the merge's worker pool, a worker per core, reducing chunks in parallel. */
function cpuLensPool() {
  const executor = createBrowserWorkerExecutor();
  return { reducer: poolLensReducer(executor), dispose: () => executor.dispose() };
}

const api: EngineApi = {
  inspect: (source, hub) => settle(() => inspectSource(source, hub)),
  plan: (request) => settle(() => planRequest(request)),
  inspectOutput: (directory) => settle(() => inspectOutput(directory)),
  async run(request, onEvents) {
    const controller = new AbortController();
    runs.get(request.runId)?.abort();
    runs.set(request.runId, controller);
    const events = batcher(onEvents);
    try {
      return await settle(async () => {
        const backend = await gpuBackend();
        // Without a hardware GPU, the CPU backend runs on a worker per core.
        const executor = backend === undefined ? createBrowserWorkerExecutor() : undefined;
        try {
          return await runRequest(request, (event) => events.push(event), controller.signal, backend, executor);
        } finally {
          await backend?.dispose();
          await executor?.dispose();
        }
      });
    } finally {
      events.flush();
      if (runs.get(request.runId) === controller) runs.delete(request.runId);
      // The listener is a comlink proxy of the page's function: free its message port (after the last batch).
      (onEvents as Partial<Comlink.Remote<EngineEventBatchListener>>)[Comlink.releaseProxy]?.();
    }
  },
  lensCost: (request) => settle(() => lensCost(request)),
  async lens(request, onEvents) {
    const controller = new AbortController();
    runs.get(request.runId)?.abort();
    runs.set(request.runId, controller);
    const events = batcher(onEvents);
    try {
      return await settle(async () => {
        // Exact mode reduces on the GPU where merges would run there (a hardware adapter), else on the CPU's workers.
        const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
        const chosen = request.mode === 'exact' ? await chooseLensReducer('auto', gpu, viteShaderLibrary, cpuLensPool) : undefined;
        try {
          return await lensRun(request, (event) => events.push(event), controller.signal, chosen?.reducer);
        } finally {
          await chosen?.dispose();
        }
      });
    } finally {
      events.flush();
      if (runs.get(request.runId) === controller) runs.delete(request.runId);
      (onEvents as Partial<Comlink.Remote<EngineEventBatchListener>>)[Comlink.releaseProxy]?.();
    }
  },
  cancel(runId) {
    runs.get(runId)?.abort();
    return Promise.resolve();
  },
};

Comlink.expose(api);
