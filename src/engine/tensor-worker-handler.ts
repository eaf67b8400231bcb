/**
 * The worker side of the worker-pool executor: computes one tensor on the CPU backend from the input buffers it is
 * handed and hands every buffer back (transferred, never copied; shared ones stay where they are), or reduces a
 * weight-lens chunk pair to its float64 sums. Shared by the Node and browser worker entries.
 */
import { toAppError } from '../shared/errors';
import { emptySums } from '../methods/lens-stats';
import { BufferPool, transferable } from './buffer-pool';
import type { PoolBuffer } from './buffer-pool';
import { createCpuBackend } from './cpu-backend';
import { Preloaded } from './evaluate';
import { cpuLensReducer } from './lens-reducer';
import { computeTensorInto } from './tensor-executor';
import type { LensWorkerReply, LensWorkerRequest, TensorWorkerRequest, WorkerReply, WorkerRequest } from './worker-pool-executor';

type Handled = { reply: WorkerReply; transfer: ArrayBuffer[] };

/** Answers requests one at a time with this worker's own CPU backend and buffer pool. */
export function tensorRequestHandler(): (request: WorkerRequest) => Promise<Handled> {
  const pool = new BufferPool(256 * 1024 * 1024);
  const backend = createCpuBackend(pool);
  const tensor = async (request: TensorWorkerRequest): Promise<Handled> => {
    const views = new Map(request.views.map(([key, index, offset, length]) => [key, new Uint8Array(request.buffers[index] as PoolBuffer, offset, length)]));
    const preloaded = new Preloaded([], views, undefined);
    const out = new Uint8Array(typeof request.out === 'number' ? (request.buffers[request.out] as PoolBuffer) : request.out, request.outOffset, request.outLength);
    let reply: WorkerReply;
    try {
      await computeTensorInto(request.tensor, preloaded, out, { backend, pool, chunkElements: request.chunkElements });
      reply = { kind: 'tensor', id: request.id, buffers: request.buffers, out: request.out };
    } catch (error) {
      reply = { kind: 'tensor', id: request.id, buffers: request.buffers, out: request.out, error: toAppError(error, { tensor: request.tensor.name }).toPayload() };
    }
    // Shared buffers are not transferred back: the caller's own objects stay in use.
    return { reply, transfer: transferable(typeof request.out === 'number' ? request.buffers : [...request.buffers, request.out]) };
  };
  return (request) => (request.kind === 'lens' ? lensChunk(request) : tensor(request));
}

/** A lens chunk pair's sums, by the same code as the lens's in-thread CPU reducer. */
async function lensChunk(request: LensWorkerRequest): Promise<Handled> {
  // The chunks' buffers go back for the next reads.
  const buffers = [...new Set([request.a.bytes.buffer as ArrayBuffer, request.b.bytes.buffer as ArrayBuffer])];
  let reply: LensWorkerReply;
  try {
    const sums = emptySums();
    await cpuLensReducer.add(sums, request.a, request.b, request.count, request.t);
    reply = { kind: 'lens', id: request.id, sums, buffers };
  } catch (error) {
    reply = { kind: 'lens', id: request.id, buffers, error: toAppError(error).toPayload() };
  }
  return { reply, transfer: buffers };
}
