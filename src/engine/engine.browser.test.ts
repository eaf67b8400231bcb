import { afterAll, describe, expect, inject, it } from 'vitest';

import { tensorDifferences } from '../../test/compare-models';
import { writeModel } from '../../test/fixtures/models';
import type { ModelSpec } from '../../test/fixtures/models';
import { TINY_LLAMA, fixtureById, writeFixture } from '../../test/fixtures/standard';
import { memoryFolder } from '../io/model/memory-folder';
import { PARTIAL_MARKER } from '../io/safetensors/writer';
import { FsAccessDirectorySink } from '../io/sink/fs-access-sink';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';
import type { EngineEvent, HubAccess, PlanRequest } from './api';
import { createEngineClient } from './client';
import { loadInputs } from './load-inputs';
import { runPlan } from './run-plan';

const engine = createEngineClient();
afterAll(() => engine.terminate());

let counter = 0;
async function opfsFolder(prefix: string): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(`${prefix}-${Date.now()}-${++counter}`, { create: true });
}

async function readAll(handle: FileSystemDirectoryHandle): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const [name, entry] of handle.entries()) {
    if (entry.kind === 'file') files.set(name, new Uint8Array(await (await (entry as FileSystemFileHandle).getFile()).arrayBuffer()));
  }
  return files;
}

/** The CPU engine's result of `request`, run here on the page's main thread from in-memory folders. */
async function cpuReference(recipeText: string, folders: Record<string, Map<string, Uint8Array>>, output: PlanRequest['output']): Promise<Map<string, Uint8Array>> {
  const recipe = parseRecipe(recipeText);
  const inputs = await loadInputs(recipe, (path) => Promise.resolve(memoryFolder(path, folders[path] as Map<string, Uint8Array>)));
  const plan = compilePlan({ recipe, recipeText, models: inputs.models, adapters: inputs.adapters, outputName: output.name, seed: 0, ...(output.maxShardBytes === undefined ? {} : { maxShardBytes: output.maxShardBytes }) });
  const out = new MemoryDirectorySink();
  await runPlan(plan, inputs.folders, out);
  return out.files;
}

async function fixtureFiles(id: string): Promise<Map<string, Uint8Array>> {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, fixtureById(id));
  return dir.files;
}

const HUB_RECIPE = `merge_method: slerp
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16
  - model: tiny/llama-bf16-ft+tiny/llama-lora
parameters:
  t: [0, 0.5, 1]
dtype: bfloat16
`;

describe('engine worker (real worker, comlink, Chromium)', () => {
  const hub: HubAccess = { endpoint: inject('hubUrl') };

  it('inspects a Hub model and a local folder from headers only', async () => {
    const summary = await engine.inspect({ kind: 'hub', repo: 'tiny/llama-bf16-sharded' }, hub);
    expect(summary).toMatchObject({ ref: 'tiny/llama-bf16-sharded', kind: 'hub', architecture: 'LlamaForCausalLM', modelType: 'llama', layers: 4, dtype: 'BF16', tensorCount: 39, isAdapter: false });
    expect(summary.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(summary.shardCount).toBeGreaterThan(1);
    const files = await fixtureFiles('tiny/llama-f32');
    const local = await engine.inspect({ kind: 'files', name: 'my-llama', files: [...files].map(([n, b]) => new File([b as Uint8Array<ArrayBuffer>], n)) }, hub);
    const spec = TINY_LLAMA;
    const perLayer = 2 * spec.hidden + 2 * spec.hidden * spec.hidden + 2 * (spec.kvHeads * spec.hidden / spec.heads) * spec.hidden + 3 * spec.hidden * spec.intermediate;
    expect(local).toMatchObject({ ref: 'my-llama', kind: 'local', revision: undefined, dtype: 'F32', layers: 4, params: 2 * spec.vocab * spec.hidden + spec.hidden + spec.layers * perLayer });
    expect(local.weightBytes).toBe(files.get('model.safetensors')?.byteLength);
    const lora = await engine.inspect({ kind: 'hub', repo: 'tiny/llama-lora' }, hub);
    expect(lora.isAdapter).toBe(true);
  });

  it('errors cross as AppErrors and never carry the token', async () => {
    const token = 'hf_secretSECRETsecret0123456789';
    const error = await engine.inspect({ kind: 'hub', repo: 'private/llama-bf16' }, { ...hub, token }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AppError', code: 'E_HUB_UNAUTHORIZED', context: { model: 'private/llama-bf16' } });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(token);
    const missing = await engine.plan({ recipeText: 'merge_method: nonsense\nmodels:\n  - model: tiny/llama-bf16\n', sources: {}, hub, output: { name: 'x' } }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'E_UNKNOWN_METHOD' });
  });

  it('merges Hub models (and a LoRA) into OPFS in the worker, tensor for tensor the CPU engine result', async () => {
    const output = { name: 'hub-merge', maxShardBytes: 120_000 };
    const overview = await engine.plan({ recipeText: HUB_RECIPE, sources: {}, hub, output });
    expect(overview.shardCount).toBeGreaterThan(1);
    expect(overview.inputs.map((i) => i.kind)).toEqual(['hub', 'hub']);
    expect(overview.adapters).toEqual(['tiny/llama-lora']);
    expect(overview.estimatedSeconds).toBeGreaterThan(0);
    // The output dtype choice overrides the recipe's: every float tensor doubles from bf16 to f32.
    const f32 = await engine.plan({ recipeText: HUB_RECIPE, sources: {}, hub, output: { ...output, dtype: 'float32' } });
    expect(f32.tensors.map((t) => t.bytes)).toEqual(overview.tensors.map((t) => 2 * t.bytes));
    const directory = await opfsFolder('engine-hub');
    const events: EngineEvent[] = [];
    let batches = 0;
    const outcome = await engine.run({ recipeText: HUB_RECIPE, sources: {}, hub, output, directory, resume: false, onEvents: (batch) => {
      batches += 1;
      events.push(...batch);
    } });
    const written = await readAll(directory);
    // SwiftShader is no hardware GPU: the CPU backend ran, on a worker per core.
    expect(outcome.backend).toBe(`CPU, ${navigator.hardwareConcurrency} worker${navigator.hardwareConcurrency === 1 ? '' : 's'}`);
    expect(outcome.files.map((f) => f.name)).toEqual([...written.keys()].sort());
    expect(outcome.files.find((f) => f.name === 'model.safetensors.index.json')).toBeDefined();
    expect(written.has(PARTIAL_MARKER)).toBe(false);
    expect(events[0]?.type).toBe('start');
    expect(events.at(-1)?.type).toBe('done');
    expect(events.filter((e) => e.type === 'tensor')).toHaveLength(overview.tensorCount);
    expect(batches).toBeLessThan(events.length);
    const expected = await cpuReference(HUB_RECIPE, Object.fromEntries(await Promise.all(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-lora'].map(async (id) => [id, await fixtureFiles(id)] as const))), output);
    expect(await tensorDifferences(written, expected)).toEqual([]);
    expect([...written.keys()].sort()).toEqual([...expected.keys()].sort());
  });

  it('refuses a folder with other files, unless told to overwrite', async () => {
    const directory = await opfsFolder('engine-busy');
    await (await (await directory.getFileHandle('notes.txt', { create: true })).createWritable()).close();
    const request = { recipeText: HUB_RECIPE, sources: {}, hub, output: { name: 'busy' }, directory, resume: false, onEvents: () => undefined };
    await expect(engine.run(request)).rejects.toMatchObject({ code: 'E_OUTPUT_NOT_EMPTY' });
    await engine.run({ ...request, allowOverwrite: true });
    expect(await engine.inspectOutput(directory)).toMatchObject({ unfinished: false });
  });

  it('cancel mid-run, then resume: finished shards are kept and the bytes equal an uninterrupted run', async () => {
    // Two ~7 MB local siblings in OPFS, picked as directory handles, written in 1 MB shards.
    const spec: ModelSpec = { ...TINY_LLAMA, hidden: 256, intermediate: 512, vocab: 2048, layers: 4, seed: 11 };
    const base = await opfsFolder('engine-base');
    const tuned = await opfsFolder('engine-tuned');
    await writeModel(new FsAccessDirectorySink(base), spec);
    await writeModel(new FsAccessDirectorySink(tuned), { ...spec, derivedFrom: { seed: 12, scale: 0.3 } });
    expect(await engine.inspect({ kind: 'directory', handle: tuned }, hub)).toMatchObject({ ref: tuned.name, kind: 'local', layers: 4, architecture: 'LlamaForCausalLM', dtype: 'BF16' });
    const recipeText = `merge_method: slerp\nbase_model: base\nmodels:\n  - model: base\n  - model: tuned\nparameters:\n  t: [0.1, 0.9]\ndtype: bfloat16\n`;
    const request = { recipeText, sources: { base: { kind: 'directory', handle: base }, tuned: { kind: 'directory', handle: tuned } } as const, hub, output: { name: 'resumed', maxShardBytes: 1_000_000 } };

    const full = await opfsFolder('engine-full');
    await engine.run({ ...request, directory: full, resume: false, onEvents: () => undefined });

    const directory = await opfsFolder('engine-resume');
    const controller = new AbortController();
    const seen: EngineEvent[] = [];
    const cancelled = await engine
      .run({ ...request, directory, resume: false, signal: controller.signal, onEvents: (batch) => {
        seen.push(...batch);
        if (batch.some((e) => e.type === 'shard-written')) controller.abort();
      } })
      .catch((e: unknown) => e);
    expect(cancelled).toMatchObject({ name: 'AppError', code: 'E_CANCELLED' });
    expect(seen.some((e) => e.type === 'done')).toBe(false);
    const partial = await engine.inspectOutput(directory);
    const shardCount = (await engine.plan(request)).shardCount;
    expect(partial.unfinished).toBe(true);
    expect(partial.finishedShards.length).toBeGreaterThan(0);
    expect(partial.finishedShards.length).toBeLessThan(shardCount);

    await expect(engine.run({ ...request, directory, resume: false, onEvents: () => undefined })).rejects.toMatchObject({ code: 'E_OUTPUT_NOT_EMPTY' });
    const events: EngineEvent[] = [];
    const outcome = await engine.run({ ...request, directory, resume: true, onEvents: (batch) => events.push(...batch) });
    expect(outcome.resumedShards).toEqual(partial.finishedShards);
    expect(events.filter((e) => e.type === 'shard-written').map((e) => (e as { file: string }).file)).not.toContain(partial.finishedShards[0]);

    const [resumed, uninterrupted] = await Promise.all([readAll(directory), readAll(full)]);
    expect([...resumed.keys()].sort()).toEqual([...uninterrupted.keys()].sort());
    for (const [name, bytes] of uninterrupted) expect(resumed.get(name)?.every((b, i) => b === bytes[i]) && resumed.get(name)?.length === bytes.length, name).toBe(true);
  });
});
