/**
 * The CPU backend on every core in Node: a {@link TensorExecutor} over worker threads, each computing whole tensors
 * with the same code as the in-thread executor. Input and output buffers move to the worker and back as transfers.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { buildSync } from 'esbuild';

import { AppError, fromPayload } from '../shared/errors';
import type { ErrorPayload } from '../shared/errors';
import type { PlannedTensor } from '../plan/types';
import type { Computed, TensorExecutor } from './tensor-executor';

export interface WorkerRequest {
  readonly id: number;
  readonly tensor: PlannedTensor;
  readonly chunkElements: number;
  /** [read key, index into buffers, byte offset, length] */
  readonly views: readonly (readonly [string, number, number, number])[];
  readonly buffers: ArrayBuffer[];
  readonly out: ArrayBuffer;
  readonly outLength: number;
}

export interface WorkerReply {
  readonly id: number;
  readonly buffers: ArrayBuffer[];
  readonly out: ArrayBuffer;
  readonly error?: ErrorPayload;
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
  /** Why the worker stopped, once it has. */
  failure?: Error;
  current?: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | undefined;
}

/**
 * The worker entry is TypeScript: it is bundled once per process into one script (esbuild, which the TypeScript
 * runner already uses), so a thread starts by evaluating plain JavaScript instead of loading and transpiling every
 * module through a loader of its own (measured: about half a second per thread on this 2-core machine).
 */
let workerScript: string | undefined;
function bundledWorkerScript(): string {
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

/** Starts `threads` worker threads (default: one per core). */
export function createNodeWorkerExecutor(options: { threads?: number; chunkElements?: number } = {}): TensorExecutor {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const chunkElements = options.chunkElements ?? 1 << 20;
  const script = bundledWorkerScript();
  const slots: Slot[] = Array.from({ length: threads }, () => ({ worker: new Worker(script, { eval: true }), busy: false }));
  const waiting: ((slot: Slot) => void)[] = [];
  let nextId = 0;
  for (const slot of slots) {
    const fail = (error: Error) => {
      slot.failure ??= error;
      slot.current?.reject(error);
      slot.current = undefined;
    };
    slot.worker.on('message', (reply: WorkerReply) => {
      slot.current?.resolve(reply);
      slot.current = undefined;
    });
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new AppError('E_INTERNAL', `A merge worker thread stopped (exit code ${code}).`)));
  }
  const acquire = (): Promise<Slot> => {
    const free = slots.find((s) => !s.busy);
    if (free !== undefined) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const releaseSlot = (slot: Slot) => {
    const next = waiting.shift();
    if (next === undefined) slot.busy = false;
    else next(slot);
  };
  return {
    concurrency: threads,
    label: `CPU, ${threads} worker thread${threads === 1 ? '' : 's'}`,
    compute: async (tensor, preloaded, out): Promise<Computed> => {
      const slot = await acquire();
      const id = nextId++;
      if (slot.failure !== undefined) {
        releaseSlot(slot);
        throw slot.failure;
      }
      const buffers = preloaded.buffers.splice(0);
      const index = new Map(buffers.map((b, i) => [b, i]));
      const views = [...preloaded.views.entries()].map(([key, view]) => {
        const at = index.get(view.buffer as ArrayBuffer);
        if (at === undefined) throw new AppError('E_INTERNAL', `Tensor ${tensor.name}: an input view is outside the preloaded buffers.`);
        return [key, at, view.byteOffset, view.byteLength] as const;
      });
      const request: WorkerRequest = { id, tensor, chunkElements, views, buffers, out: out.buffer as ArrayBuffer, outLength: out.byteLength };
      try {
        const reply = await new Promise<WorkerReply>((resolve, reject) => {
          if (slot.failure !== undefined) {
            reject(slot.failure);
            return;
          }
          slot.current = { resolve, reject };
          slot.worker.postMessage(request, [...buffers, request.out]);
        });
        // The buffers are back: re-attach them (the views now point into the returned buffers).
        preloaded.buffers.push(...reply.buffers);
        for (const [key, at, offset, length] of views) preloaded.views.set(key, new Uint8Array(reply.buffers[at] as ArrayBuffer, offset, length));
        if (reply.error !== undefined) throw fromPayload(reply.error);
        return { out: new Uint8Array(reply.out, 0, request.outLength), preloaded };
      } finally {
        releaseSlot(slot);
      }
    },
    dispose: async () => {
      for (const slot of slots) slot.failure ??= new AppError('E_CANCELLED', 'The merge workers were stopped.');
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
