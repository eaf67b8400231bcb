/**
 * The worker side of the worker-pool executor: computes one tensor on the CPU backend from the input buffers it is
 * handed and hands every buffer back (to be transferred, never copied). Shared by the Node and browser worker entries.
 */
import { toAppError } from '../shared/errors';
import { BufferPool } from './buffer-pool';
import { createCpuBackend } from './cpu-backend';
import { Preloaded } from './evaluate';
import { computeTensorInto } from './tensor-executor';
import type { WorkerReply, WorkerRequest } from './worker-pool-executor';

/** Answers requests one at a time with this worker's own CPU backend and buffer pool. */
export function tensorRequestHandler(): (request: WorkerRequest) => Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  const pool = new BufferPool(256 * 1024 * 1024);
  const backend = createCpuBackend(pool);
  return async (request) => {
    const views = new Map(request.views.map(([key, index, offset, length]) => [key, new Uint8Array(request.buffers[index] as ArrayBuffer, offset, length)]));
    const preloaded = new Preloaded([], views, undefined);
    const out = new Uint8Array(typeof request.out === 'number' ? (request.buffers[request.out] as ArrayBuffer) : request.out, request.outOffset, request.outLength);
    let reply: WorkerReply;
    try {
      await computeTensorInto(request.tensor, preloaded, out, { backend, pool, chunkElements: request.chunkElements });
      reply = { id: request.id, buffers: request.buffers, out: request.out };
    } catch (error) {
      reply = { id: request.id, buffers: request.buffers, out: request.out, error: toAppError(error, { tensor: request.tensor.name }).toPayload() };
    }
    return { reply, transfer: typeof request.out === 'number' ? request.buffers : [...request.buffers, request.out] };
  };
}
