import { describe, expect, it } from 'vitest';

import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { GRADIENT_SLERP } from '../../test/fixtures/recipes';
import type { EngineEvent, OutputFolderState, PlanRequest, RunOutcome } from '../engine/api';
import type { EngineClient, RunCall } from '../engine/client';
import { runPlan } from '../engine/run-plan';
import { overviewOf } from '../engine/service';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';
import { AppError } from '../shared/errors';
import { currentTensorFraction } from './job-progress';
import type { RunInput } from './job-slice';
import { PENDING_RUN_KEY } from './pending-run';
import type { KeyValueStorage } from './pending-run';
import { createAppStore } from './store';

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
  removeItem = (key: string) => void this.items.delete(key);
}

async function compile(request: PlanRequest) {
  const recipe = parseRecipe(request.recipeText);
  const inputs = await loadFixtureInputs(recipe);
  const plan = compilePlan({ recipe, recipeText: request.recipeText, models: inputs.models, adapters: inputs.adapters, ...(request.output.maxShardBytes === undefined ? {} : { maxShardBytes: request.output.maxShardBytes }) });
  return { plan, inputs };
}

/** An engine client that runs the real CPU engine on the fixtures in this process, delivering events in batches of 3. */
function fakeEngine(options: { cancelAfterShards?: number; folderState?: OutputFolderState; planDelay?: (request: PlanRequest) => number } = {}): EngineClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async inspect() {
      throw new AppError('E_INTERNAL', 'not used');
    },
    async lensCost() {
      throw new AppError('E_INTERNAL', 'not used');
    },
    async lens() {
      throw new AppError('E_INTERNAL', 'not used');
    },
    async plan(request) {
      calls.push(`plan ${request.output.name}`);
      await new Promise((r) => setTimeout(r, options.planDelay?.(request) ?? 0));
      return overviewOf((await compile(request)).plan);
    },
    async inspectOutput(directory) {
      return options.folderState ?? { name: directory.name, files: [], unfinished: false, finishedShards: [] };
    },
    async run(call: RunCall): Promise<RunOutcome> {
      calls.push(`run resume=${call.resume}`);
      const { plan, inputs } = await compile(call);
      const out = new MemoryDirectorySink(call.directory.name);
      let queue: EngineEvent[] = [];
      let shards = 0;
      const controller = new AbortController();
      await runPlan(plan, inputs.folders, out, {
        signal: controller.signal,
        resume: call.resume,
        onEvent: (event) => {
          queue.push(event);
          if (event.type === 'shard-written' && ++shards === options.cancelAfterShards) controller.abort();
          if (queue.length === 3 || event.type === 'done') {
            call.onEvents(queue);
            queue = [];
          }
        },
      });
      return { files: (await out.list()).map((name) => ({ name, bytes: out.files.get(name)?.byteLength ?? 0 })), seconds: 0.1, resumedShards: [], backend: 'CPU' };
    },
    terminate() {},
  };
}

const input: RunInput = { recipeText: GRADIENT_SLERP, sources: {}, hub: { endpoint: 'http://hub.invalid' }, origin: 'recipe' };
const folder = { name: 'out' } as FileSystemDirectoryHandle;

describe('job slice', () => {
  it('compiles on input and on output changes, keeping only the newest answer', async () => {
    const engine = fakeEngine({ planDelay: (r) => (r.output.name === 'slow' ? 50 : 0) });
    const store = createAppStore({ job: { engine: () => engine, storage: undefined } });
    await store.getState().jobActions.setRunInput(input);
    expect(store.getState().job).toMatchObject({ phase: 'planned', plan: { tensorCount: 39, shardCount: 1 } });
    const slow = store.getState().jobActions.setOutput({ name: 'slow' });
    await store.getState().jobActions.setOutput({ name: 'fast', maxShardBytes: 100_000 });
    await slow;
    expect(store.getState().job.plan?.shardCount).toBeGreaterThan(1);
    expect(store.getState().job.output).toEqual({ name: 'fast', maxShardBytes: 100_000 });
  });

  it('shows a recipe that does not compile as a plan error', async () => {
    const store = createAppStore({ job: { engine: () => fakeEngine(), storage: undefined } });
    await store.getState().jobActions.setRunInput({ ...input, recipeText: 'merge_method: slerp\n' });
    expect(store.getState().job.phase).toBe('idle');
    expect(store.getState().job.planError?.code).toMatch(/^E_RECIPE/);
  });

  it('folds batched engine events into progress and ends with the result; the pending run is cleared', async () => {
    const storage = new MemoryStorage();
    const store = createAppStore({ job: { engine: () => fakeEngine(), storage } });
    const actions = store.getState().jobActions;
    await actions.setRunInput(input);
    await actions.setOutput({ maxShardBytes: 100_000 });
    await actions.setFolder(folder, 'picked');
    const seen: number[] = [];
    const starts = new Map<string, number>();
    const unsubscribe = store.subscribe((s) => {
      const p = s.job.progress;
      if (p === undefined) return;
      seen.push(p.tensorsDone);
      if (p.currentTensor !== undefined) starts.set(p.currentTensor, p.currentTensorStart);
      expect(currentTensorFraction(p)).toBeGreaterThanOrEqual(0);
      expect(currentTensorFraction(p)).toBeLessThanOrEqual(1);
    });
    const running = actions.startRun();
    expect(store.getState().job.phase).toBe('running');
    expect(JSON.parse(storage.items.get(PENDING_RUN_KEY) ?? '{}')).toMatchObject({ recipeText: GRADIENT_SLERP, folderName: 'out', origin: 'recipe', output: { maxShardBytes: 100_000 } });
    await running;
    unsubscribe();
    const { job } = store.getState();
    expect(job.phase).toBe('done');
    expect(job.progress).toMatchObject({ tensorsDone: 39, tensorCount: 39, finalizing: false });
    expect(job.progress?.bytesDone).toBe(job.progress?.bytesTotal);
    expect(job.progress?.shards.every((s) => s.status === 'written')).toBe(true);
    expect(job.result?.files.map((f) => f.name)).toContain('model.safetensors.index.json');
    expect(new Set(seen).size).toBeGreaterThan(3);
    // Each tensor the panel showed as current started where the tensors before it in the plan ended.
    let offset = 0;
    const expectedStarts = new Map(job.plan?.tensors.map((t) => [t.name, (offset += t.bytes) - t.bytes]));
    expect(starts.size).toBeGreaterThan(3);
    for (const [name, start] of starts) expect(start, name).toBe(expectedStarts.get(name));
    expect(storage.items.has(PENDING_RUN_KEY)).toBe(false);
  });

  it('a cancel keeps the pending run, and a store made after a reload offers it', async () => {
    const storage = new MemoryStorage();
    const store = createAppStore({ job: { engine: () => fakeEngine({ cancelAfterShards: 1 }), storage } });
    await store.getState().jobActions.setRunInput(input);
    await store.getState().jobActions.setOutput({ name: 'half', maxShardBytes: 100_000 });
    await store.getState().jobActions.setFolder(folder, 'browser');
    await store.getState().jobActions.startRun();
    expect(store.getState().job.phase).toBe('cancelled');
    expect(store.getState().job.error).toBeUndefined();
    expect(store.getState().job.progress?.shards.filter((s) => s.status === 'written')).toHaveLength(1);
    const reloaded = createAppStore({ job: { engine: () => fakeEngine(), storage } });
    expect(reloaded.getState().job.pending).toMatchObject({ recipeText: GRADIENT_SLERP, folderName: 'out', output: { name: 'half' } });
    expect(reloaded.getState().job.output).toEqual({ name: 'half', maxShardBytes: 100_000 });
    reloaded.getState().jobActions.dismissPending();
    expect(createAppStore({ job: { engine: () => fakeEngine(), storage } }).getState().job.pending).toBeUndefined();
  });

  it('cancelRun aborts the signal handed to the engine', async () => {
    let aborted = false;
    const engine = fakeEngine();
    engine.run = (call) =>
      new Promise((_, reject) => call.signal?.addEventListener('abort', () => {
        aborted = true;
        reject(new AppError('E_CANCELLED', 'The merge was cancelled.'));
      }));
    const store = createAppStore({ job: { engine: () => engine, storage: undefined } });
    await store.getState().jobActions.setRunInput(input);
    await store.getState().jobActions.setFolder(folder, 'picked');
    const run = store.getState().jobActions.startRun({ resume: true });
    store.getState().jobActions.cancelRun();
    expect(store.getState().job.cancelling).toBe(true);
    await run;
    expect(aborted).toBe(true);
    expect(store.getState().job).toMatchObject({ phase: 'cancelled', cancelling: false });
  });

  it('a refused folder is an error with its code, and leaves nothing to resume', async () => {
    const storage = new MemoryStorage();
    const engine = fakeEngine();
    engine.run = () => Promise.reject(new AppError('E_OUTPUT_NOT_EMPTY', 'The output folder out is not empty (2 files).', { hint: 'Choose an empty folder.' }));
    const store = createAppStore({ job: { engine: () => engine, storage } });
    await store.getState().jobActions.setRunInput(input);
    await store.getState().jobActions.setFolder(folder, 'picked');
    await store.getState().jobActions.startRun();
    expect(store.getState().job).toMatchObject({ phase: 'failed', error: { code: 'E_OUTPUT_NOT_EMPTY', hint: 'Choose an empty folder.' } });
    expect(storage.items.has(PENDING_RUN_KEY)).toBe(false);
  });
});
