/**
 * Weight-lens bench cases (each run in its own process by bench/measure.ts):
 *
 * - `lens-exact`: the exact lens of two local models (every element read and reduced), on the CPU worker pool
 *   (`reducer: pool`, a thread per core), on this thread alone (`thread`), or on WebGPU (`webgpu`: any adapter, Dawn's
 *   SwiftShader included where there is no GPU). Input = both models' tensor bytes.
 * - `lens-70b-hub`: the fast lens of two Llama-2-70B-shaped repos (sparse: real headers, zeros) served by the mock Hub
 *   in this process over loopback: headers, plan and run, with the range requests and bytes it read.
 */
import { availableParallelism } from 'node:os';

import { planLens, runLens } from '../src/engine/lens';
import { cpuLensReducer, poolLensReducer } from '../src/engine/lens-reducer';
import type { LensReducer } from '../src/engine/lens-reducer';
import { createWebGpuLensReducer } from '../src/engine/lens-webgpu';
import { createNodeWorkerExecutor } from '../src/engine/node-worker-executor';
import { createNodeGpu, yieldToSoftwareGpu } from '../src/gpu/node-gpu';
import { nodeShaderLibrary } from '../src/gpu/node-shaders';
import { openHubFolder } from '../src/io/model/hub-folder';
import { loadModel } from '../src/io/model/load-model';
import { openNodeFolder } from '../src/io/model/node-folder';
import { hubSettings } from '../src/io/source/hub-client';
import { LLAMA_2_70B, sparseModelFiles } from '../test/fixtures/sparse-model';
import { startMockHub } from '../test/mock-hub/server';
import type { CaseResult } from './measure';

type Args = Record<string, string | number>;

/** The reducer a case asks for, and how to stop it. */
async function reducerFor(kind: string, threads: number): Promise<{ reducer: LensReducer; note: string; dispose: () => Promise<void> }> {
  if (kind === 'thread') return { reducer: cpuLensReducer, note: 'CPU, this thread', dispose: () => Promise.resolve() };
  if (kind === 'pool') {
    const pool = createNodeWorkerExecutor({ threads });
    // Every worker answers one tiny task before the clock starts: the figure is the pool's rate, its start-up apart.
    const started = performance.now();
    const tiny = () => ({ dtype: 'F32' as const, bytes: new Uint8Array(4) });
    await Promise.all(Array.from({ length: pool.concurrency }, () => pool.reduceLens(tiny(), tiny(), 1, undefined)));
    const startup = (performance.now() - started) / 1000;
    return { reducer: poolLensReducer(pool), note: `${pool.label} (started in ${startup.toFixed(2)} s, not timed)`, dispose: () => pool.dispose() };
  }
  const gpu = await createWebGpuLensReducer(createNodeGpu(), nodeShaderLibrary());
  // As `npm run lens -- --exact --backend webgpu` does on a software adapter (src/cli/lens.ts).
  if (gpu.software) yieldToSoftwareGpu();
  return {
    reducer: gpu,
    note: `${gpu.label}${gpu.software && !/software/i.test(gpu.label) ? ' (software adapter)' : ''}`,
    dispose: () => {
      gpu.dispose();
      return Promise.resolve();
    },
  };
}

/** The exact lens of `a` against `b` (local folders) on the `reducer` kind: pool, thread or webgpu. */
export async function lensExact(args: Args): Promise<CaseResult> {
  const local = async (dir: string) => loadModel(await openNodeFolder(dir));
  const [a, b] = await Promise.all([local(String(args['a'])), local(String(args['b']))]);
  const chosen = await reducerFor(String(args['reducer']), Number(args['threads'] ?? availableParallelism()));
  try {
    const plan = planLens(a, b, { mode: 'exact' });
    const started = performance.now();
    const report = await runLens(plan, a, b, { reducer: chosen.reducer });
    const seconds = (performance.now() - started) / 1000;
    if (report.tensors.length !== plan.tensors.length) throw new Error('the lens missed tensors');
    return { inputBytes: plan.bytesToRead, seconds, note: `${plan.tensors.length} tensors, ${chosen.note}` };
  } finally {
    await chosen.dispose();
    await Promise.all([a.folder.close(), b.folder.close()]);
  }
}

/** The fast lens of two Llama-2-70B-shaped repos on the mock Hub: headers, plan and run, timed together. */
export async function lens70bHub(): Promise<CaseResult> {
  const files = sparseModelFiles(LLAMA_2_70B);
  const hub = await startMockHub({ repos: [{ id: 'big/llama-70b-a', files }, { id: 'big/llama-70b-b', files }] });
  try {
    const settings = hubSettings({ endpoint: hub.url });
    const started = performance.now();
    const remote = async (id: string) => loadModel(await openHubFolder(id, undefined, settings));
    const [a, b] = await Promise.all([remote('big/llama-70b-a'), remote('big/llama-70b-b')]);
    const headers = (performance.now() - started) / 1000;
    const plan = planLens(a, b, { mode: 'fast' });
    hub.reset();
    const report = await runLens(plan, a, b);
    const seconds = (performance.now() - started) / 1000;
    const reads = hub.requests.filter((r) => r.path.endsWith('.safetensors'));
    if (reads.some((r) => r.range === undefined)) throw new Error('the fast lens read a whole weight file');
    const total = [...a.tensors.values(), ...b.tensors.values()].reduce((s, t) => s + t.length, 0);
    await Promise.all([a.folder.close(), b.folder.close()]);
    return {
      inputBytes: plan.bytesToRead,
      seconds,
      note:
        `${report.tensors.length} tensors of 2 × ${(total / 2e9).toFixed(0)} GB: ${reads.length} range requests, ${(plan.bytesToRead / 1e6).toFixed(0)} MB read; ` +
        `headers ${headers.toFixed(2)} s, lens ${report.seconds.toFixed(2)} s (plan said ${plan.estimatedSeconds.toFixed(1)} s); mock Hub in the same process`,
    };
  } finally {
    await hub.close();
  }
}
