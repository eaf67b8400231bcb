/**
 * The `job` slice: everything about running a merge. What goes in (recipe text, sources, Hub access), the output
 * options and folder, the compiled plan's overview, live progress, the result, the error, and an interrupted run
 * remembered across reloads. It is the one bridge from engine events to the store: a batch of events from the worker
 * becomes one `set`.
 */
import type { StateCreator } from 'zustand';

import type { HubAccess, OutputFolderState, OutputOptions, PlanOverview, RunOutcome, SourceSpec } from '../engine/api';
import { createEngineClient } from '../engine/client';
import type { EngineClient } from '../engine/client';
import { DEFAULT_HUB_ENDPOINT } from '../io/source/hub-client';
import { toAppError } from '../shared/errors';
import type { ErrorPayload } from '../shared/errors';
import { applyEvents, initialProgress } from './job-progress';
import type { RunProgress } from './job-progress';
import { clearPendingRun, readPendingRun, savePendingRun } from './pending-run';
import type { KeyValueStorage, PendingRun } from './pending-run';

/** What a run merges: the recipe, where its models are, and how to reach the Hub for the others. */
export interface RunInput {
  readonly recipeText: string;
  readonly sources: Readonly<Record<string, SourceSpec>>;
  readonly hub: HubAccess;
  readonly origin: PendingRun['origin'];
}

/** The output folder: one the user picked, or a folder in the browser's private storage (then downloaded). */
export interface OutputFolder {
  readonly handle: FileSystemDirectoryHandle;
  readonly name: string;
  readonly storage: 'picked' | 'browser';
  /** What is in it (refreshed after each run). */
  readonly state: OutputFolderState | undefined;
}

export type JobPhase = 'idle' | 'planning' | 'planned' | 'running' | 'done' | 'cancelled' | 'failed';

export interface JobState {
  readonly input: RunInput | undefined;
  readonly output: OutputOptions;
  readonly folder: OutputFolder | undefined;
  readonly phase: JobPhase;
  readonly plan: PlanOverview | undefined;
  /** Why the recipe does not compile (shown beside the plan, blocks Run). */
  readonly planError: ErrorPayload | undefined;
  readonly progress: RunProgress | undefined;
  readonly result: RunOutcome | undefined;
  /** Why the last run stopped (not set for a cancel). */
  readonly error: ErrorPayload | undefined;
  /** A run that was interrupted by a reload, found in storage at start. */
  readonly pending: PendingRun | undefined;
  /** Set while a Cancel is on its way to the worker. */
  readonly cancelling: boolean;
}

export interface RunChoice {
  /** Keep the shards an interrupted run of the same plan finished in the folder. */
  readonly resume?: boolean;
  /** Write into a folder that holds other files. */
  readonly allowOverwrite?: boolean;
}

export interface JobActions {
  /** Sets what to merge and compiles it. */
  setRunInput(input: RunInput | undefined): Promise<void>;
  /** Changes output options (name, dtype, shard size) and compiles again. */
  setOutput(patch: Partial<OutputOptions>): Promise<void>;
  /** Uses `handle` as the output folder and looks at what is in it. */
  setFolder(handle: FileSystemDirectoryHandle, storage: OutputFolder['storage']): Promise<void>;
  /** Compiles the current input into a plan overview. */
  planJob(): Promise<void>;
  startRun(choice?: RunChoice): Promise<void>;
  cancelRun(): void;
  /** Forgets the interrupted run offered after a reload. */
  dismissPending(): void;
}

export interface JobSlice {
  readonly job: JobState;
  readonly jobActions: JobActions;
}

export interface JobDeps {
  /** The engine client (created on first use). */
  readonly engine: () => EngineClient;
  /** Where an interrupted run is remembered (`localStorage` in the app). */
  readonly storage: KeyValueStorage | undefined;
}

export const DEFAULT_OUTPUT: OutputOptions = { name: 'merged-model' };

/** The public Hub, anonymous (until the settings give an endpoint or token). */
export const DEFAULT_HUB: HubAccess = { endpoint: DEFAULT_HUB_ENDPOINT };

let sharedEngine: EngineClient | undefined;

/** The app's dependencies: one engine worker for the page, and `localStorage`. */
export const defaultJobDeps: JobDeps = {
  engine: () => (sharedEngine ??= createEngineClient()),
  storage: typeof localStorage === 'undefined' ? undefined : localStorage,
};

/** The slice creator, for composing into the app store (`StateCreator<AllSlices, [], [], JobSlice>`). */
export function jobSlice<S extends JobSlice>(deps: JobDeps = defaultJobDeps): StateCreator<S, [], [], JobSlice> {
  return (set, get) => {
    let controller: AbortController | undefined;
    /** Each compile gets a number; only the newest one's answer is kept. */
    let planSeq = 0;
    const job = () => get().job;
    const update = (patch: Partial<JobState>) => set((s) => ({ job: { ...s.job, ...patch } }) as Partial<S>);

    const refreshFolder = async () => {
      const folder = job().folder;
      if (folder === undefined) return;
      try {
        const state = await deps.engine().inspectOutput(folder.handle);
        if (job().folder?.handle === folder.handle) update({ folder: { ...folder, state } });
      } catch {
        // The folder may be gone or no longer writable; the next run reports why.
      }
    };

    const actions: JobActions = {
      async setRunInput(input) {
        update({ input, plan: undefined, planError: undefined, result: undefined, error: undefined, progress: undefined, phase: 'idle' });
        if (input !== undefined) await actions.planJob();
      },

      async setOutput(patch) {
        update({ output: { ...job().output, ...patch } });
        if (job().input !== undefined && job().phase !== 'running') await actions.planJob();
      },

      async setFolder(handle, storage) {
        update({ folder: { handle, name: handle.name, storage, state: undefined }, error: undefined });
        await refreshFolder();
      },

      async planJob() {
        const { input, output } = job();
        if (input === undefined || job().phase === 'running') return;
        const seq = ++planSeq;
        update({ phase: 'planning', planError: undefined });
        try {
          const plan = await deps.engine().plan({ recipeText: input.recipeText, sources: input.sources, hub: input.hub, output });
          if (seq === planSeq) update({ plan, phase: 'planned' });
        } catch (error) {
          if (seq === planSeq) update({ plan: undefined, planError: toAppError(error).toPayload(), phase: 'idle' });
        }
      },

      async startRun(choice = {}) {
        const { input, output, folder, plan } = job();
        if (input === undefined || folder === undefined || job().phase === 'running') return;
        controller = new AbortController();
        const signal = controller.signal;
        update({ phase: 'running', cancelling: false, result: undefined, error: undefined, pending: undefined, progress: initialProgress(plan) });
        savePendingRun(deps.storage, { recipeText: input.recipeText, output, folderName: folder.name, origin: input.origin, startedAt: new Date().toISOString() });
        try {
          const result = await deps.engine().run({
            recipeText: input.recipeText,
            sources: input.sources,
            hub: input.hub,
            output,
            directory: folder.handle,
            resume: choice.resume === true,
            ...(choice.allowOverwrite === true ? { allowOverwrite: true } : {}),
            signal,
            onEvents: (events) => {
              const progress = job().progress;
              if (progress !== undefined) update({ progress: applyEvents(progress, events) });
            },
          });
          clearPendingRun(deps.storage);
          update({ phase: 'done', result, cancelling: false });
        } catch (error) {
          const payload = toAppError(error).toPayload();
          if (payload.code === 'E_CANCELLED') update({ phase: 'cancelled', cancelling: false });
          else {
            // Nothing was started in the folder: there is nothing to resume.
            if (payload.code === 'E_OUTPUT_NOT_EMPTY') clearPendingRun(deps.storage);
            update({ phase: 'failed', error: payload, cancelling: false });
          }
        } finally {
          controller = undefined;
          await refreshFolder();
        }
      },

      cancelRun() {
        if (controller === undefined) return;
        update({ cancelling: true });
        controller.abort();
      },

      dismissPending() {
        clearPendingRun(deps.storage);
        update({ pending: undefined });
      },
    };

    const pending = readPendingRun(deps.storage);
    return {
      job: {
        input: undefined,
        // The interrupted run's options, so a resume compiles the very same plan.
        output: pending?.output ?? DEFAULT_OUTPUT,
        folder: undefined,
        phase: 'idle',
        plan: undefined,
        planError: undefined,
        progress: undefined,
        result: undefined,
        error: undefined,
        pending,
        cancelling: false,
      },
      jobActions: actions,
    };
  };
}
