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
  ModelSummary,
  OutputFolderState,
  PlanOverview,
  PlanRequest,
  RunOutcome,
  RunRequest,
  SourceSpec,
} from './api';

export interface RunCall extends Omit<RunRequest, 'runId'> {
  readonly signal?: AbortSignal;
  readonly onEvents: EngineEventBatchListener;
}

export interface EngineClient {
  inspect(source: SourceSpec, hub: HubAccess): Promise<ModelSummary>;
  plan(request: PlanRequest): Promise<PlanOverview>;
  inspectOutput(directory: FileSystemDirectoryHandle): Promise<OutputFolderState>;
  run(call: RunCall): Promise<RunOutcome>;
  /** Ends the worker; the client is not used afterwards. */
  terminate(): void;
}

function unwrap<T>(result: EngineResult<T>): T {
  if (result.ok) return result.value;
  throw fromPayload(result.error);
}

let runCounter = 0;

/** Starts an engine worker and returns its client. */
export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'merge-engine' });
  const remote = Comlink.wrap<EngineApi>(worker);
  return {
    inspect: async (source, hub) => unwrap(await remote.inspect(source, hub)),
    plan: async (request) => unwrap(await remote.plan(request)),
    inspectOutput: async (directory) => unwrap(await remote.inspectOutput(directory)),
    async run({ signal, onEvents, ...request }) {
      if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'The merge was cancelled.');
      const runId = `run-${Date.now().toString(36)}-${++runCounter}`;
      const cancel = () => void remote.cancel(runId);
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        return unwrap(await remote.run({ ...request, runId }, Comlink.proxy(onEvents)));
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
