/**
 * The CPU backend on every core in Node: the worker-pool executor over worker threads running
 * `node-tensor-worker.ts`.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { buildSync } from 'esbuild';

import { AppError } from '../shared/errors';
import { CPU_COMPUTE_CHUNK_ELEMENTS } from './tensor-executor';
import type { PoolExecutor, TensorWorkerPort, WorkerReply } from './worker-pool-executor';
import { poolLabel, workerPoolExecutor } from './worker-pool-executor';

/**
 * The worker entry is TypeScript: it is bundled once per process into one script (esbuild, which the TypeScript
 * runner already uses), so a thread starts by evaluating plain JavaScript instead of loading and transpiling every
 * module through a loader of its own (measured: about half a second per thread on this 2-core machine).
 */
let workerScript: string | undefined;
function bundledWorkerScript(): string {
  // A command started from its cached bundle (scripts/run-cli.mjs) names a worker bundle built with it.
  const prebuilt = process.env.MERGE_STUDIO_WORKER_BUNDLE;
  if (prebuilt !== undefined && prebuilt !== '') workerScript ??= readFileSync(prebuilt, 'utf8');
  workerScript ??= buildSync({
    entryPoints: [fileURLToPath(new URL('./node-tensor-worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'error',
  }).outputFiles[0]?.text;
  if (workerScript === undefined) throw new AppError('E_INTERNAL', 'The merge worker script could not be built.');
  return workerScript;
}

/**
 * Starts `threads` worker threads (default: one per core), which share the run's buffers (`SharedArrayBuffer`s); with
 * `sharesMemory: false` the buffers move to a thread and back as transfers instead (a page that is not cross-origin
 * isolated works so; tests run that path here).
 */
export function createNodeWorkerExecutor(options: { threads?: number; chunkElements?: number; sharesMemory?: boolean } = {}): PoolExecutor {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const script = bundledWorkerScript();
  const ports = Array.from({ length: threads }, () => nodePort(new Worker(script, { eval: true })));
  return workerPoolExecutor(ports, options.chunkElements ?? CPU_COMPUTE_CHUNK_ELEMENTS, poolLabel(threads, 'worker thread'), options.sharesMemory ?? true);
}

function nodePort(worker: Worker): TensorWorkerPort {
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    listen: (onReply, onFailure) => {
      worker.on('message', (reply: WorkerReply) => onReply(reply));
      worker.on('error', onFailure);
      worker.on('exit', (code) => onFailure(new AppError('E_INTERNAL', `A merge worker thread stopped (exit code ${code}).`)));
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
}
