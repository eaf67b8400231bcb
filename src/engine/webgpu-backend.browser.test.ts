import { describe, expect, it } from 'vitest';

import { sameBits, ulpDistance } from './webgpu-backend.test-support';
import type { WorkerReply, WorkerRequest } from './webgpu-worker.test-support';

const NAMES = ['cast', 'linear', 'slerp', 'nearswap', 'dare_ties', 'ties', 'karcher', 'sce', 'lora'];

function runInWorker(request: WorkerRequest): Promise<WorkerReply> {
  const worker = new Worker(new URL('./webgpu-worker.test-support.ts', import.meta.url), { type: 'module' });
  return new Promise<WorkerReply>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

describe('the WebGPU backend in a dedicated worker in Chromium', () => {
  it('merges BF16 tensors (and bakes a LoRA) on the GPU: same bytes at every chunk size, within 1 ulp of the CPU', async () => {
    const reply = await runInWorker({ dtype: 'BF16', numel: 2049, chunks: [2049, 700] });
    if (!reply.ok) throw new Error(reply.error);
    expect(reply.label).toMatch(/^WebGPU: /);
    expect(reply.results.map((r) => r.name)).toEqual(NAMES);
    for (const result of reply.results) {
      expect(result.onGpu, result.name).toBe(true);
      expect(sameBits(result.gpu[1] as Float32Array, result.gpu[0] as Float32Array), result.name).toBe(true);
      expect(ulpDistance('BF16', result.gpu[0] as Float32Array, result.cpu).max, result.name).toBeLessThanOrEqual(1);
    }
  });
});
