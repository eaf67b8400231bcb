/**
 * The CPU backend on every core: a {@link TensorExecutor} over a pool of workers (Node worker threads, or browser
 * dedicated workers), each computing whole tensors with the same code as the in-thread executor. Input and output
 * buffers are never copied: `SharedArrayBuffer`s (Node, and a cross-origin isolated page:
 * {@link TensorExecutor.sharesMemory}) are posted as they are and the worker computes in them; plain `ArrayBuffer`s move to the worker and back as transfers. The same workers take
 * a second task kind, the weight lens's chunk reduction ({@link PoolExecutor.reduceLens}): two encoded chunks in, their
 * float64 sums back. The platform adapters (`node-worker-executor.ts`, `browser-worker-executor.ts`) only start workers
 * and wire their messages; the worker side is `tensor-worker-handler.ts`.
 */
import { AppError, fromPayload } from '../shared/errors';
import type { ErrorPayload } from '../shared/errors';
import type { LensSums } from '../methods/lens-stats';
import type { PlannedTensor } from '../plan/types';
import type { EncodedChunk } from './backend';
import type { PoolBuffer } from './buffer-pool';
import { isShared, transferable } from './buffer-pool';
import type { Computed, TensorExecutor } from './tensor-executor';

/** A merge task: one whole tensor computed from its preloaded inputs. */
export interface TensorWorkerRequest {
  readonly kind: 'tensor';
  readonly id: number;
  readonly tensor: PlannedTensor;
  readonly chunkElements: number;
  /** [read key, index into buffers, byte offset, length] */
  readonly views: readonly (readonly [string, number, number, number])[];
  readonly buffers: PoolBuffer[];
  /** The output's own buffer, or the index of the input buffer it is written into (in place). */
  readonly out: PoolBuffer | number;
  readonly outOffset: number;
  readonly outLength: number;
}

/** A lens task: the sums of `count` element pairs of two encoded chunks (whose buffers were transferred). */
export interface LensWorkerRequest {
  readonly kind: 'lens';
  readonly id: number;
  readonly a: EncodedChunk;
  readonly b: EncodedChunk;
  readonly count: number;
  readonly t: number | undefined;
}

export type WorkerRequest = TensorWorkerRequest | LensWorkerRequest;

export interface TensorWorkerReply {
  readonly kind: 'tensor';
  readonly id: number;
  readonly buffers: PoolBuffer[];
  readonly out: PoolBuffer | number;
  readonly error?: ErrorPayload;
}

export interface LensWorkerReply {
  readonly kind: 'lens';
  readonly id: number;
  readonly sums?: LensSums;
  /** The chunks' buffers, transferred back for the next reads. */
  readonly buffers: ArrayBuffer[];
  readonly error?: ErrorPayload;
}

export type WorkerReply = TensorWorkerReply | LensWorkerReply;

/** The worker pool: the merge's executor, and the lens's chunk reduction on the same workers. */
export interface PoolExecutor extends TensorExecutor {
  /**
   * The float64 sums of `count` element pairs of `a` and `b` (with `t`, NearSwap's share too), reduced on a free
   * worker. The chunks' buffers are transferred to it and come back (as new objects) in `buffers`, to be read into
   * again: the caller must own them whole and not use the old views.
   */
  reduceLens(a: EncodedChunk, b: EncodedChunk, count: number, t: number | undefined): Promise<{ sums: LensSums; buffers: ArrayBuffer[] }>;
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

export function workerPoolExecutor(ports: readonly TensorWorkerPort[], chunkElements: number, label: string, sharesMemory = false): PoolExecutor {
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
  /** Posts `request` to a free worker and waits for its reply (a stopped worker's failure rejects). */
  const dispatch = async (request: (id: number) => WorkerRequest, transfer: (request: WorkerRequest) => ArrayBuffer[]): Promise<WorkerReply> => {
    const slot = await acquire();
    try {
      if (slot.failure !== undefined) throw slot.failure;
      const posted = request(nextId++);
      return await new Promise<WorkerReply>((resolve, reject) => {
        slot.current = { resolve, reject };
        slot.port.post(posted, transfer(posted));
      });
    } finally {
      releaseSlot(slot);
    }
  };
  return {
    concurrency: slots.length,
    label,
    sharesMemory,
    compute: async (tensor, preloaded, out): Promise<Computed> => {
      const buffers = preloaded.buffers.splice(0);
      const index = new Map<ArrayBufferLike, number>(buffers.map((b, i) => [b, i]));
      const views = [...preloaded.views.entries()].map(([key, view]) => {
        const at = index.get(view.buffer);
        if (at === undefined) throw new AppError('E_INTERNAL', `Tensor ${tensor.name}: an input view is outside the preloaded buffers.`);
        return [key, at, view.byteOffset, view.byteLength] as const;
      });
      const inPlace = index.get(out.buffer as PoolBuffer);
      const outTarget = inPlace ?? (out.buffer as PoolBuffer);
      // Read before the transfer detaches `out`.
      const { byteOffset: outOffset, byteLength: outLength } = out;
      const request = (id: number): TensorWorkerRequest => ({ kind: 'tensor', id, tensor, chunkElements, views, buffers, out: outTarget, outOffset, outLength });
      let reply: WorkerReply;
      try {
        reply = await dispatch(request, () => transferable(typeof outTarget === 'number' ? buffers : [...buffers, outTarget]));
      } catch (error) {
        // Not posted (the worker had stopped): the buffers were not transferred (detached ones read 0 bytes).
        preloaded.buffers.push(...buffers.filter((b) => b.byteLength > 0));
        throw error;
      }
      if (reply.kind !== 'tensor') throw new AppError('E_INTERNAL', `Tensor ${tensor.name}: a merge worker answered a ${reply.kind} task.`);
      // The buffers are back: re-attach the transferred ones (the views now point into the returned buffers); shared
      // ones never left, and this thread's objects (the pool's own) stay in use.
      const back = buffers.map((b, i) => (isShared(b) ? b : (reply.buffers[i] as PoolBuffer)));
      preloaded.buffers.push(...back);
      for (const [key, at, offset, length] of views) preloaded.views.set(key, new Uint8Array(back[at] as PoolBuffer, offset, length));
      if (reply.error !== undefined) throw fromPayload(reply.error);
      const outBuffer = typeof reply.out === 'number' ? (back[reply.out] as PoolBuffer) : typeof outTarget !== 'number' && isShared(outTarget) ? outTarget : reply.out;
      return { out: new Uint8Array(outBuffer, outOffset, outLength), preloaded };
    },
    reduceLens: async (a, b, count, t) => {
      // A view of part of a buffer is copied: transferring its buffer would detach the rest.
      const whole = (bytes: Uint8Array) => (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice());
      const [x, y] = [whole(a.bytes), whole(b.bytes)];
      const owned = [...new Set([x.buffer as ArrayBuffer, y.buffer as ArrayBuffer])];
      const reply = await dispatch((id) => ({ kind: 'lens', id, a: { dtype: a.dtype, bytes: x }, b: { dtype: b.dtype, bytes: y }, count, t }), () => owned);
      if (reply.kind !== 'lens') throw new AppError('E_INTERNAL', `A lens worker answered a ${reply.kind} task.`);
      if (reply.error !== undefined) throw fromPayload(reply.error);
      if (reply.sums === undefined) throw new AppError('E_INTERNAL', 'A lens worker answered without sums.');
      return { sums: reply.sums, buffers: reply.buffers };
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
