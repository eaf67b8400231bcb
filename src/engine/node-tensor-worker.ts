/** Worker-thread entry of the Node worker executor (see tensor-worker-handler.ts). */
import { parentPort } from 'node:worker_threads';

import { tensorRequestHandler } from './tensor-worker-handler';
import type { WorkerRequest } from './worker-pool-executor';

const handle = tensorRequestHandler();

parentPort?.on('message', (request: WorkerRequest) => {
  void handle(request).then(({ reply, transfer }) => parentPort?.postMessage(reply, transfer));
});
