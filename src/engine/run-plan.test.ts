import { describe, expect, it } from 'vitest';

import { fixtureFiles, loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { FRANKEN, GRADIENT_SLERP } from '../../test/fixtures/recipes';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import type { Model, ModelFolder } from '../io/model/types';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan, inputKey, referencedInputs } from '../plan/compile';
import { CHAT_TEMPLATES } from '../plan/chat-templates';
import type { MergePlan } from '../plan/types';
import { parseRecipe } from '../recipe/parse';
import type { EngineEvent } from './api';
import type { Backend } from './backend';
import { createCpuBackend } from './cpu-backend';
import { createNodeWorkerExecutor } from './node-worker-executor';
import { runPlan } from './run-plan';
import type { RunOptions } from './run-plan';
import { GPU_TENSORS_AT_ONCE } from './tensor-executor';

async function prepare(text: string): Promise<{ plan: MergePlan; folders: Map<string, ModelFolder> }> {
  const recipe = parseRecipe(text);
  const inputs = await loadFixtureInputs(recipe);
  return { plan: compilePlan({ recipe, recipeText: text, models: inputs.models, adapters: inputs.adapters }), folders: inputs.folders };
}

async function merge(text: string, options: Omit<RunOptions, 'onEvent'> = {}): Promise<{ out: MemoryDirectorySink; plan: MergePlan; events: EngineEvent[] }> {
  const { plan, folders } = await prepare(text);
  const out = new MemoryDirectorySink('out');
  const events: EngineEvent[] = [];
  await runPlan(plan, folders, out, { ...options, onEvent: (e) => events.push(e) });
  return { out, plan, events };
}

describe('runPlan: the run itself', () => {
  const TIES = `merge_method: ties
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16-ft
    parameters: {weight: 0.6, density: 0.5}
  - model: tiny/llama-bf16-ft2
    parameters: {weight: 0.4, density: [0.3, 0.7]}
dtype: bfloat16
`;

  it('gives the same bytes whatever the chunk size', async () => {
    const a = await merge(TIES, { chunkElements: 1 << 20 });
    const b = await merge(TIES, { chunkElements: 333 });
    const bytes = (dir: MemoryDirectorySink) => Buffer.from(dir.files.get('model.safetensors')!);
    expect(bytes(a.out).equals(bytes(b.out))).toBe(true);
  });

  it('gives the same bytes streamed chunk by chunk, preloaded whole, and on worker threads', async () => {
    const bytes = (dir: MemoryDirectorySink) => Buffer.from(dir.files.get('model.safetensors')!);
    for (const text of [TIES, GRADIENT_SLERP]) {
      const preloaded = await merge(text);
      const streamed = await merge(text, { preloadBytes: 0, chunkElements: 1000 });
      const executor = createNodeWorkerExecutor({ threads: 2, chunkElements: 777 });
      try {
        const threaded = await merge(text, { executor });
        expect(bytes(threaded.out).equals(bytes(preloaded.out))).toBe(true);
      } finally {
        await executor.dispose();
      }
      expect(bytes(streamed.out).equals(bytes(preloaded.out))).toBe(true);
    }
  });

  it('computes two tensors at once on a GPU backend (one on the CPU backend in-thread), with the same bytes', async () => {
    // A backend that waits on work done elsewhere, as the GPU does: each call yields to the event loop first.
    const counting = (kind: Backend['kind']) => {
      const inner = createCpuBackend();
      let open = 0;
      let most = 0;
      const later = <T>(work: () => Promise<T>) => new Promise<void>((resolve) => setTimeout(resolve, 1)).then(work);
      const backend: Backend = {
        kind,
        label: kind,
        createMerger: async (method, job, count) => {
          const merger = await inner.createMerger(method, job, count);
          most = Math.max(most, ++open);
          return {
            passes: merger.passes,
            rowLength: merger.rowLength,
            reduce: (pass, inputs, start, n) => later(() => merger.reduce(pass, inputs, start, n)),
            endPass: (pass) => merger.endPass(pass),
            apply: (inputs, start, n, roundTo) => later(() => merger.apply(inputs, start, n, roundTo)),
            release: () => {
              open -= 1;
              merger.release();
            },
          };
        },
        dispose: () => inner.dispose(),
      };
      return { backend, most: () => most };
    };
    const bytes = (dir: MemoryDirectorySink) => Buffer.from(dir.files.get('model.safetensors')!);
    const reference = await merge(GRADIENT_SLERP);
    const gpu = counting('webgpu');
    const cpu = counting('cpu');
    expect(bytes((await merge(GRADIENT_SLERP, { backend: gpu.backend })).out).equals(bytes(reference.out))).toBe(true);
    expect(bytes((await merge(GRADIENT_SLERP, { backend: cpu.backend })).out).equals(bytes(reference.out))).toBe(true);
    expect(gpu.most()).toBe(GPU_TENSORS_AT_ONCE);
    expect(cpu.most()).toBe(1);
  });

  it('reports progress per tensor and finishes with the files written', async () => {
    const { events, plan } = await merge(TIES);
    expect(events[0]).toMatchObject({ type: 'start', tensorCount: plan.tensors.length });
    expect(events.filter((e) => e.type === 'tensor')).toHaveLength(plan.tensors.length);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ tensorsDone: plan.tensors.length });
    expect(events.at(-1)).toMatchObject({ type: 'done' });
  });

  it('a cancel stops a run on worker threads before the next tensor is written, even with every input preloaded', async () => {
    const text = TIES.replace('dtype: bfloat16', 'dtype: float32');
    const { folders } = await prepare(text);
    const recipe = parseRecipe(text);
    const loaded = new Map<string, Model>();
    for (const r of referencedInputs(recipe).models) loaded.set(inputKey(r), await loadModel(memoryFolder(r.path, await fixtureFiles(r.path))));
    const plan = compilePlan({ recipe, recipeText: text, models: loaded, maxShardBytes: 200_000 });
    const out = new MemoryDirectorySink('out');
    const controller = new AbortController();
    const executor = createNodeWorkerExecutor({ threads: 2 });
    let written = 0;
    try {
      await expect(
        runPlan(plan, folders, out, {
          executor,
          signal: controller.signal,
          onEvent: (e) => {
            if (e.type === 'shard-written') {
              written += 1;
              controller.abort();
            }
          },
        }),
      ).rejects.toMatchObject({ code: 'E_CANCELLED' });
    } finally {
      await executor.dispose();
    }
    expect(written).toBe(1);
    expect(plan.shards.length).toBeGreaterThan(2);
    expect(await out.list()).toContain('merge-studio-partial.json');
  });

  it('cancels into an unfinished folder and resumes after the finished shards', async () => {
    const text = TIES.replace('dtype: bfloat16', 'dtype: float32');
    const { folders } = await prepare(text);
    // Small shards, so that a resume has something to keep.
    const recipe = parseRecipe(text);
    const loaded = new Map<string, Model>();
    for (const r of referencedInputs(recipe).models) loaded.set(inputKey(r), await loadModel(memoryFolder(r.path, await fixtureFiles(r.path))));
    const multi = compilePlan({ recipe, recipeText: text, models: loaded, maxShardBytes: 200_000 });
    expect(multi.shards.length).toBeGreaterThan(2);
    const out = new MemoryDirectorySink('out');
    const controller = new AbortController();
    await expect(
      runPlan(multi, folders, out, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'shard-written') controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect(await out.list()).toContain('merge-studio-partial.json');
    expect(await out.list()).not.toContain('model.safetensors.index.json');
    const events: EngineEvent[] = [];
    await runPlan(multi, folders, out, { resume: true, onEvent: (e) => events.push(e) });
    expect(events[0]).toMatchObject({ type: 'start', resumedShards: [multi.shards[0]!.file] });
    expect(await out.list()).not.toContain('merge-studio-partial.json');
    const fresh = new MemoryDirectorySink('fresh');
    await runPlan(multi, folders, fresh);
    for (const shard of multi.shards) expect(Buffer.from(out.files.get(shard.file)!).equals(Buffer.from(fresh.files.get(shard.file)!))).toBe(true);
    expect(Buffer.from(out.files.get('model.safetensors.index.json')!).equals(Buffer.from(fresh.files.get('model.safetensors.index.json')!))).toBe(true);
  });

  it('stacks layers from slices byte for byte', async () => {
    const { out } = await merge(FRANKEN);
    const merged = await loadModel(memoryFolder('out', out.files));
    const base = await loadModel(memoryFolder('base', await fixtureFiles('tiny/llama-bf16')));
    const ft = await loadModel(memoryFolder('ft', await fixtureFiles('tiny/llama-bf16-ft')));
    const bytes = async (model: Model, name: string) => {
      const t = model.tensors.get(name)!;
      return Buffer.from(await (await model.folder.open(t.file)).read(t.offset, t.length));
    };
    expect(merged.tensors.size).toBe(3 + 9 * 6);
    expect((await bytes(merged, 'model.layers.1.mlp.up_proj.weight')).equals(await bytes(base, 'model.layers.1.mlp.up_proj.weight'))).toBe(true);
    expect((await bytes(merged, 'model.layers.4.mlp.up_proj.weight')).equals(await bytes(ft, 'model.layers.2.mlp.up_proj.weight'))).toBe(true);
    expect((await bytes(merged, 'model.norm.weight')).equals(await bytes(ft, 'model.norm.weight'))).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(out.files.get('config.json')))).toMatchObject({ num_hidden_layers: 6 });
  });

  it("writes the recipe's chat_template into the tokenizer config, keeping the rest", async () => {
    const { out } = await merge(`${GRADIENT_SLERP}chat_template: chatml\n`);
    const config = JSON.parse(new TextDecoder().decode(out.files.get('tokenizer_config.json'))) as Record<string, unknown>;
    expect(config['chat_template']).toBe(CHAT_TEMPLATES['chatml']);
    expect(config['bos_token']).toBe('<s>');
  });

  it('copies integer tensors byte for byte', async () => {
    const edge = await fixtureFiles('tiny/edge-dtypes');
    const recipe = parseRecipe('merge_method: linear\nmodels:\n  - model: tiny/edge-dtypes\n    parameters: {weight: 0.5}\n');
    const model = await loadModel(memoryFolder('tiny/edge-dtypes', edge));
    const plan = compilePlan({ recipe, recipeText: '', models: new Map([['tiny/edge-dtypes', model]]) });
    const dir = new MemoryDirectorySink();
    await runPlan(plan, new Map([['tiny/edge-dtypes', model.folder]]), dir);
    const merged = await loadModel(memoryFolder('out', dir.files));
    for (const name of ['ints.i64', 'fp8.e4m3', 'flags.bool', 'wide.f64']) {
      const a = model.tensors.get(name)!;
      const b = merged.tensors.get(name)!;
      const x = await (await model.folder.open(a.file)).read(a.offset, a.length);
      const y = await (await merged.folder.open(b.file)).read(b.offset, b.length);
      expect(Buffer.from(y).equals(Buffer.from(x))).toBe(true);
    }
  });
});

