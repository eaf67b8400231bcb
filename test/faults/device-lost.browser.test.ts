/**
 * Fault matrix in Chromium: the WebGPU device is lost in the middle of a merge into a File System Access folder. With
 * recovery turned off the run stops with E_DEVICE_LOST and leaves an unfinished folder (marker, no index, no
 * temporaries) that the CPU backend then resumes.
 */
import { describe, expect, it } from 'vitest';

import { loadInputs } from '../../src/engine/load-inputs';
import { runPlan } from '../../src/engine/run-plan';
import { createWebGpuBackend } from '../../src/engine/webgpu-backend';
import { viteShaderLibrary } from '../../src/gpu/vite-shaders';
import { memoryFolder } from '../../src/io/model/memory-folder';
import { INDEX_FILE } from '../../src/io/safetensors/shard-index';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import { FsAccessDirectorySink } from '../../src/io/sink/fs-access-sink';
import { MemoryDirectorySink } from '../../src/io/sink/memory-sink';
import { compilePlan } from '../../src/plan/compile';
import { parseRecipe } from '../../src/recipe/parse';
import { AppError } from '../../src/shared/errors';
import { fixtureById, writeFixture } from '../fixtures/standard';

const RECIPE = 'merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16-ft\nparameters:\n  t: [0, 1]\ndtype: float32\n';

async function names(dir: FileSystemDirectoryHandle): Promise<string[]> {
  const out: string[] = [];
  for await (const name of dir.keys()) out.push(name);
  return out.sort();
}

describe('faults: WebGPU device lost in the browser', () => {
  it('stops with E_DEVICE_LOST, leaving an unfinished folder that the CPU backend resumes', async () => {
    const sources: Record<string, Map<string, Uint8Array>> = {};
    for (const id of ['tiny/llama-bf16', 'tiny/llama-bf16-ft']) {
      const dir = new MemoryDirectorySink();
      await writeFixture(dir, fixtureById(id));
      sources[id] = dir.files;
    }
    const recipe = parseRecipe(RECIPE);
    const open = () => loadInputs(recipe, (path) => Promise.resolve(memoryFolder(path, sources[path] as Map<string, Uint8Array>)));
    const inputs = await open();
    const plan = compilePlan({ recipe, recipeText: RECIPE, models: inputs.models, maxShardBytes: 200_000 });
    const handle = await (await navigator.storage.getDirectory()).getDirectoryHandle(`faults-gpu-${Date.now()}`, { create: true });
    const devices: GPUDevice[] = [];
    const backend = await createWebGpuBackend(navigator.gpu, viteShaderLibrary, { recoverFromLoss: false, onDevice: (d) => devices.push(d) });
    const failure = await runPlan(plan, inputs.folders, new FsAccessDirectorySink(handle), {
      backend,
      preloadBytes: 0,
      identity: { toolVersion: 'gpu-test', recipeText: RECIPE },
      onEvent: (event) => {
        if (event.type === 'shard-written') devices.at(-1)?.destroy();
      },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await backend.dispose();
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('E_DEVICE_LOST');
    const left = await names(handle);
    expect(left).toContain(PARTIAL_MARKER);
    expect(left).not.toContain(INDEX_FILE);
    expect(left.filter((n) => n.endsWith('.partial') || n.endsWith('.crswap'))).toEqual([]);
    const events: string[][] = [];
    const again = await open();
    await runPlan(plan, again.folders, new FsAccessDirectorySink(handle), {
      resume: true,
      identity: { toolVersion: 'gpu-test', recipeText: RECIPE },
      onEvent: (event) => {
        if (event.type === 'start') events.push([...event.resumedShards]);
      },
    });
    expect(events).toEqual([['model-00001-of-00004.safetensors']]);
    expect(await names(handle)).toContain(INDEX_FILE);
  });
});
