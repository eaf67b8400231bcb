/**
 * The weight lens behind the worker contract: opens the two sources, plans (the cost the studio shows first) and runs
 * the lens. `engine/worker.ts` exposes these; tests may call them directly.
 */
import { cachedModel } from '../io/model/hub-cache';
import type { Model } from '../io/model/types';
import type { EngineEventListener, LensCost, LensRequest } from './api';
import { browserWorkerCount } from './browser-worker-executor';
import { planLens, runLens } from './lens';
import type { LensPlan } from './lens';
import type { LensReducer } from './lens-reducer';
import type { LensReport } from '../methods/lens-report';
import { openSource } from './service';

async function withModels<T>(request: LensRequest, signal: AbortSignal | undefined, work: (a: Model, b: Model) => Promise<T>): Promise<T> {
  const folders = await Promise.all([openSource(request.a, request.hub), openSource(request.b, request.hub)]);
  try {
    // Hub headers come from the cache the studio's inspect and the cost step already filled: the run reads none again.
    const [a, b] = await Promise.all(folders.map((folder) => cachedModel(folder, { signal })));
    return await work(a as Model, b as Model);
  } finally {
    await Promise.all(folders.map((folder) => folder.close().catch(() => undefined)));
  }
}

function planOf(request: LensRequest, a: Model, b: Model): LensPlan {
  // Exact mode reduces on the CPU's workers (or a hardware GPU, faster still): the estimate counts the workers.
  return planLens(a, b, { mode: request.mode, samples: request.samples, reduceThreads: browserWorkerCount() });
}

export function lensCost(request: LensRequest, signal?: AbortSignal): Promise<LensCost> {
  return withModels(request, signal, (a, b) => {
    const plan = planOf(request, a, b);
    return Promise.resolve({ a: plan.a, b: plan.b, tensorCount: plan.tensors.length, skippedCount: plan.skipped.length, bytesToRead: plan.bytesToRead, estimatedSeconds: plan.estimatedSeconds });
  });
}

/** Runs the lens; `reducer` reduces exact mode's chunks (default the CPU). */
export function lensRun(request: LensRequest, onEvent: EngineEventListener, signal?: AbortSignal, reducer?: LensReducer): Promise<LensReport> {
  return withModels(request, signal, (a, b) => runLens(planOf(request, a, b), a, b, { signal, onEvent, nearswapT: request.nearswapT, reducer }));
}
