/** Browser entry of the worker-pool executor: a dedicated module worker (see tensor-worker-handler.ts). */
import { tensorRequestHandler } from './tensor-worker-handler';
import type { WorkerRequest } from './worker-pool-executor';

const handle = tensorRequestHandler();
/** The parts of a dedicated worker's global scope used here (the project's DOM typings have no worker scope). */
const scope = globalThis as unknown as {
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

scope.addEventListener('message', (event) => {
  void handle(event.data).then(({ reply, transfer }) => scope.postMessage(reply, transfer));
});
