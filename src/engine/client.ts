/**
 * The main thread's handle on the engine worker (comlink). Results come back as values or thrown `AppError`s rebuilt
 * from their payloads; a run takes an `AbortSignal` and a listener for batched events.
 */
import * as Comlink from 'comlink';

import { AppError, fromPayload } from '../shared/errors';
import type {
  EngineApi,
  EngineEventBatchListener,
  EngineResult,
  HubAccess,
  LensCost,
  LensRequest,
  ModelSummary,
  OutputFolderState,
  PlanOverview,
  PlanRequest,
  RunOutcome,
  RunRequest,
  SourceSpec,
} from './api';
import type { LensReport } from '../methods/lens-report';

export interface RunCall extends Omit<RunRequest, 'runId'> {
  readonly signal?: AbortSignal;
  readonly onEvents: EngineEventBatchListener;
}

export interface LensCall extends LensRequest {
  readonly signal?: AbortSignal;
  readonly onEvents: EngineEventBatchListener;
}

export interface EngineClient {
  inspect(source: SourceSpec, hub: HubAccess): Promise<ModelSummary>;
  plan(request: PlanRequest): Promise<PlanOverview>;
  inspectOutput(directory: FileSystemDirectoryHandle): Promise<OutputFolderState>;
  run(call: RunCall): Promise<RunOutcome>;
  lensCost(request: LensRequest): Promise<LensCost>;
  lens(call: LensCall): Promise<LensReport>;
  /** Ends the worker; the client is not used afterwards. */
  terminate(): void;
}

function unwrap<T>(result: EngineResult<T>): T {
  if (result.ok) return result.value;
  throw fromPayload(result.error);
}

let runCounter = 0;

/**
 * Rejects when the worker dies (a failed module load, out of memory): comlink calls would otherwise wait forever.
 */
function workerFailure(worker: Worker): Promise<never> {
  const failed = new Promise<never>((_, reject) => {
    const fail = (what: string) =>
      reject(new AppError('E_INTERNAL', `The merge engine stopped: ${what}.`, { hint: 'Reload the page. Finished shards are kept, so the merge can resume.' }));
    worker.addEventListener('error', (event) => fail(event.message || 'the worker failed'));
    worker.addEventListener('messageerror', () => fail('a message could not be read'));
  });
  failed.catch(() => undefined);
  return failed;
}

/** Starts an engine worker and returns its client. */
export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'merge-engine' });
  const remote = Comlink.wrap<EngineApi>(worker);
  const failed = workerFailure(worker);
  const call = async <T>(result: Promise<EngineResult<T>>): Promise<T> => unwrap(await Promise.race([result, failed]));
  return {
    inspect: (source, hub) => call(remote.inspect(source, hub)),
    plan: (request) => call(remote.plan(request)),
    inspectOutput: (directory) => call(remote.inspectOutput(directory)),
    async run({ signal, onEvents, ...request }) {
      if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The merge was cancelled.');
      const runId = `run-${Date.now().toString(36)}-${++runCounter}`;
      const cancel = () => void remote.cancel(runId);
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        return await call(remote.run({ ...request, runId }, Comlink.proxy(onEvents)));
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    },
    lensCost: (request) => call(remote.lensCost(request)),
    async lens({ signal, onEvents, ...request }) {
      if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The lens was cancelled.');
      const runId = `lens-${Date.now().toString(36)}-${++runCounter}`;
      const cancel = () => void remote.cancel(runId);
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        return await call(remote.lens({ ...request, runId }, Comlink.proxy(onEvents)));
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    },
    terminate: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
