/**
 * The CPU backend on every core: a {@link TensorExecutor} over a pool of workers (Node worker threads, or browser
 * dedicated workers), each computing whole tensors with the same code as the in-thread executor. Input and output
 * buffers move to the worker and back as transfers, never copied. The platform adapters (`node-worker-executor.ts`,
 * `browser-worker-executor.ts`) only start workers and wire their messages; the worker side is
 * `tensor-worker-handler.ts`.
 */
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
  /** The output's own buffer, or the index of the input buffer it is written into (in place). */
  readonly out: ArrayBuffer | number;
  readonly outOffset: number;
  readonly outLength: number;
}

export interface WorkerReply {
  readonly id: number;
  readonly buffers: ArrayBuffer[];
  readonly out: ArrayBuffer | number;
  readonly error?: ErrorPayload;
}

/** One started worker, as the pool sees it. */
export interface TensorWorkerPort {
  post(request: WorkerRequest, transfer: ArrayBuffer[]): void;
  /** Wires the worker's replies, and its failures (an error thrown in it, or its exit). */
  listen(onReply: (reply: WorkerReply) => void, onFailure: (error: Error) => void): void;
  terminate(): Promise<void>;
}

interface Slot {
  readonly port: TensorWorkerPort;
  busy: boolean;
  /** Why the worker stopped, once it has. */
  failure?: Error;
  current?: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | undefined;
}

export function workerPoolExecutor(ports: readonly TensorWorkerPort[], chunkElements: number, label: string): TensorExecutor {
  const slots: Slot[] = ports.map((port) => ({ port, busy: false }));
  const waiting: ((slot: Slot) => void)[] = [];
  let nextId = 0;
  for (const slot of slots) {
    slot.port.listen(
      (reply) => {
        slot.current?.resolve(reply);
        slot.current = undefined;
      },
      (error) => {
        slot.failure ??= error;
        slot.current?.reject(error);
        slot.current = undefined;
      },
    );
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
    concurrency: slots.length,
    label,
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
      const inPlace = index.get(out.buffer as ArrayBuffer);
      const request: WorkerRequest = { id, tensor, chunkElements, views, buffers, out: inPlace ?? (out.buffer as ArrayBuffer), outOffset: out.byteOffset, outLength: out.byteLength };
      try {
        const reply = await new Promise<WorkerReply>((resolve, reject) => {
          if (slot.failure !== undefined) {
            reject(slot.failure);
            return;
          }
          slot.current = { resolve, reject };
          slot.port.post(request, typeof request.out === 'number' ? buffers : [...buffers, request.out]);
        });
        // The buffers are back: re-attach them (the views now point into the returned buffers).
        preloaded.buffers.push(...reply.buffers);
        for (const [key, at, offset, length] of views) preloaded.views.set(key, new Uint8Array(reply.buffers[at] as ArrayBuffer, offset, length));
        if (reply.error !== undefined) throw fromPayload(reply.error);
        const outBuffer = typeof reply.out === 'number' ? (reply.buffers[reply.out] as ArrayBuffer) : reply.out;
        return { out: new Uint8Array(outBuffer, request.outOffset, request.outLength), preloaded };
      } finally {
        releaseSlot(slot);
      }
    },
    dispose: async () => {
      for (const slot of slots) slot.failure ??= new AppError('E_CANCELLED', 'The merge workers were stopped.');
      await Promise.all(slots.map((s) => s.port.terminate()));
    },
  };
}

/** "CPU, 2 worker threads" */
export function poolLabel(count: number, noun: string): string {
  return `CPU, ${count} ${noun}${count === 1 ? '' : 's'}`;
}
