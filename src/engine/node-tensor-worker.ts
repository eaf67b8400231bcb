/**
 * Worker-thread entry of the Node worker executor: computes one tensor at a time on the CPU backend from the input
 * buffers it is handed, and hands every buffer back (transferred, never copied).
 */
import { parentPort } from 'node:worker_threads';

import { toAppError } from '../shared/errors';
import { BufferPool } from './buffer-pool';
import { createCpuBackend } from './cpu-backend';
import { Preloaded } from './evaluate';
import { computeTensorInto } from './tensor-executor';
import type { WorkerReply, WorkerRequest } from './node-worker-executor';

const pool = new BufferPool(256 * 1024 * 1024);
const backend = createCpuBackend(pool);

parentPort?.on('message', (request: WorkerRequest) => {
  void handle(request);
});

async function handle(request: WorkerRequest): Promise<void> {
  const views = new Map(request.views.map(([key, index, offset, length]) => [key, new Uint8Array(request.buffers[index] as ArrayBuffer, offset, length)]));
  const preloaded = new Preloaded([], views, undefined);
  const out = new Uint8Array(request.out, 0, request.outLength);
  let reply: WorkerReply;
  try {
    await computeTensorInto(request.tensor, preloaded, out, { backend, pool, chunkElements: request.chunkElements });
    reply = { id: request.id, buffers: request.buffers, out: request.out };
  } catch (error) {
    reply = { id: request.id, buffers: request.buffers, out: request.out, error: toAppError(error, { tensor: request.tensor.name }).toPayload() };
  }
  parentPort?.postMessage(reply, [...request.buffers, request.out]);
}
