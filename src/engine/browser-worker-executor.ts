/**
 * The CPU backend on every core in the browser (no usable WebGPU adapter): the engine worker starts dedicated module
 * workers running `tensor-worker.ts`, one per core up to {@link MAX_WORKERS}, through the worker-pool executor.
 */
import { AppError } from '../shared/errors';
import { CPU_COMPUTE_CHUNK_ELEMENTS } from './tensor-executor';
import type { PoolExecutor, TensorWorkerPort, WorkerReply } from './worker-pool-executor';
import { poolLabel, workerPoolExecutor } from './worker-pool-executor';

/** More workers than this buy nothing: the disk and the network feed a merge at a few GB/s at best. */
const MAX_WORKERS = 8;

/** Workers for this browser: one per core (as `navigator.hardwareConcurrency` reports) up to {@link MAX_WORKERS}. */
export function browserWorkerCount(): number {
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(MAX_WORKERS, cores));
}

export function createBrowserWorkerExecutor(options: { threads?: number; chunkElements?: number } = {}): PoolExecutor {
  const threads = Math.max(1, options.threads ?? browserWorkerCount());
  const ports = Array.from({ length: threads }, (_, i) => browserPort(new Worker(new URL('./tensor-worker.ts', import.meta.url), { type: 'module', name: `merge-tensors-${i + 1}` })));
  // A cross-origin isolated page (the studio's servers send COOP/COEP) can share memory with its workers: the run's
  // buffers are then SharedArrayBuffers posted without transfer, as in Node.
  const shares = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
  return workerPoolExecutor(ports, options.chunkElements ?? CPU_COMPUTE_CHUNK_ELEMENTS, poolLabel(threads, 'worker'), shares);
}

function browserPort(worker: Worker): TensorWorkerPort {
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    listen: (onReply, onFailure) => {
      worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => onReply(event.data));
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        onFailure(new AppError('E_INTERNAL', `A merge worker failed: ${event.message || 'it could not start'}.`));
      });
      worker.addEventListener('messageerror', () => onFailure(new AppError('E_INTERNAL', 'A merge worker could not read a message.')));
    },
    terminate: () => {
      worker.terminate();
      return Promise.resolve();
    },
  };
}
