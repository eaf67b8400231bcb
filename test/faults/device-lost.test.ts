/**
 * Fault matrix: the GPU device is lost in the middle of a merge (Dawn in Node; the same backend code as the studio's
 * WebGPU). Without recovery the run stops with E_DEVICE_LOST and an unfinished folder that a later run resumes; with
 * the default recovery the backend opens a new device, redoes the work in flight, and the bytes are those of an
 * undisturbed GPU run.
 */
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { runPlan } from '../../src/engine/run-plan';
import { createWebGpuBackend } from '../../src/engine/webgpu-backend';
import type { WebGpuBackend } from '../../src/engine/webgpu-backend';
import { loadInputs } from '../../src/engine/load-inputs';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { nodeShaderLibrary } from '../../src/gpu/node-shaders';
import { openNodeFolder } from '../../src/io/model/node-folder';
import { INDEX_FILE } from '../../src/io/safetensors/shard-index';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import { NodeDirectorySink } from '../../src/io/sink/node-directory-sink';
import { compilePlan } from '../../src/plan/compile';
import type { MergePlan } from '../../src/plan/types';
import { parseRecipe } from '../../src/recipe/parse';
import type { EngineEvent } from '../../src/engine/api';
import { appError, fixtureTree, looksUnfinishedOrEmpty, sameFolders, slerp, snapshot, tempDir } from './support';

let recipe: string;
beforeAll(async () => {
  const models = await fixtureTree();
  recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`, 'float32');
});

/** Runs the recipe on `backend` into `out`, destroying the device when the first shard is written. */
async function runOnGpu(out: string, backend: WebGpuBackend, devices: GPUDevice[], destroyAfterFirstShard: boolean): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  const parsed = parseRecipe(recipe);
  const inputs = await loadInputs(parsed, (path) => openNodeFolder(path));
  const plan: MergePlan = compilePlan({ recipe: parsed, recipeText: recipe, models: inputs.models, maxShardBytes: 200_000, outputName: 'out' });
  let destroyed = false;
  await runPlan(plan, inputs.folders, await NodeDirectorySink.open(out, { create: true }), {
    backend,
    // Every tensor computes when it is written, so the loss lands in the middle of the run.
    preloadBytes: 0,
    resume: true,
    identity: { toolVersion: 'gpu-test', recipeText: recipe },
    onEvent: (event) => {
      events.push(event);
      if (destroyAfterFirstShard && !destroyed && event.type === 'shard-written') {
        destroyed = true;
        devices.at(-1)?.destroy();
      }
    },
  });
  return events;
}

describe('faults: GPU device lost mid-run', () => {
  it('stops with E_DEVICE_LOST without recovery, leaving an unfinished folder that a later run resumes', async () => {
    const out = join(await tempDir(), 'out');
    const devices: GPUDevice[] = [];
    const fragile = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { recoverFromLoss: false, onDevice: (d) => devices.push(d) });
    const error = await appError(runOnGpu(out, fragile, devices, true));
    await fragile.dispose();
    expect(error.code).toBe('E_DEVICE_LOST');
    expect(error.hint).toBeTruthy();
    const left = [...(await snapshot(out)).keys()];
    expect(left).toContain(PARTIAL_MARKER);
    expect(left).not.toContain(INDEX_FILE);
    expect(left.filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(await looksUnfinishedOrEmpty(out)).toBe(true);
    const again: GPUDevice[] = [];
    const fresh = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { onDevice: (d) => again.push(d) });
    try {
      const events = await runOnGpu(out, fresh, again, false);
      expect(events.find((e) => e.type === 'start')).toMatchObject({ resumedShards: ['model-00001-of-00004.safetensors'], restartReasons: [] });
    } finally {
      await fresh.dispose();
    }
    const names = [...(await snapshot(out)).keys()];
    expect(names).toContain(INDEX_FILE);
    expect(names).not.toContain(PARTIAL_MARKER);
  });

  it('recovers by default: a new device redoes the work in flight and the bytes match an undisturbed GPU run', async () => {
    const undisturbed = join(await tempDir(), 'out');
    const calm = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary());
    try {
      await runOnGpu(undisturbed, calm, [], false);
    } finally {
      await calm.dispose();
    }
    const out = join(await tempDir(), 'out');
    const devices: GPUDevice[] = [];
    const resilient = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { onDevice: (d) => devices.push(d) });
    try {
      await runOnGpu(out, resilient, devices, true);
      expect(resilient.recoveries).toBe(1);
    } finally {
      await resilient.dispose();
    }
    sameFolders(await snapshot(out), await snapshot(undisturbed));
  });
});
