import { describe, expect, it } from 'vitest';

import { fixtureFiles } from '../../test/fixtures/recipe-inputs';
import { restartNotice } from '../app/restart-notice';
import { memoryFolder } from '../io/model/memory-folder';
import { observedFolder } from '../io/model/observed-folder.test-support';
import { loadModel } from '../io/model/load-model';
import type { ModelFolder } from '../io/model/types';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';
import { applyEvents, initialProgress } from '../state/job-progress';
import { sha256Hex as sha256 } from '../shared/digest';
import { parsedHeaders } from './load-inputs';
import { fingerprintChanges, fingerprintRun } from './run-fingerprint';
import type { RunFingerprint } from './run-fingerprint';
import { runPlan } from './run-plan';

const RECIPE = 'merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16-ft\nparameters: {t: 0.5}\ndtype: bfloat16\n';

async function fingerprint(files: { base?: Map<string, Uint8Array>; other?: Map<string, Uint8Array> } = {}, recipeText = RECIPE): Promise<RunFingerprint> {
  const base = memoryFolder('tiny/llama-bf16', files.base ?? (await fixtureFiles('tiny/llama-bf16')));
  const other = memoryFolder('tiny/llama-bf16-ft', files.other ?? (await fixtureFiles('tiny/llama-bf16-ft')));
  const recipe = parseRecipe(recipeText);
  const models = new Map([
    ['tiny/llama-bf16', await loadModel(base)],
    ['tiny/llama-bf16-ft', await loadModel(other)],
  ]);
  const plan = compilePlan({ recipe, recipeText, models });
  const folders = new Map([
    ['tiny/llama-bf16', base],
    ['tiny/llama-bf16-ft', other],
  ]);
  return fingerprintRun(plan, folders, { toolVersion: '1.0.0', recipeText, options: { seed: 0, 'out-shard-size': null, unset: undefined } }, {});
}

describe('run fingerprint', () => {
  it('covers every file the plan reads, with its size and a digest of each local header', async () => {
    const print = await fingerprint();
    const files = print.inputs['tiny/llama-bf16']?.files ?? [];
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
    const weights = (await fixtureFiles('tiny/llama-bf16')).get('model.safetensors') as Uint8Array;
    const headerLength = Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true));
    expect(files.find((f) => f.path === 'model.safetensors')).toEqual({ path: 'model.safetensors', size: weights.byteLength, header: await sha256(weights.subarray(0, 8 + headerLength)) });
    expect(print.options).toEqual({ seed: 0, 'out-shard-size': null });
    expect(print.recipe).toBe(await sha256(new TextEncoder().encode(RECIPE)));
    expect(fingerprintChanges(JSON.parse(JSON.stringify(print)), await fingerprint())).toEqual([]);
  });

  it('names each difference', async () => {
    const before = await fingerprint();
    const other = new Map(await fixtureFiles('tiny/llama-bf16-ft'));
    const weights = other.get('model.safetensors') as Uint8Array;
    other.set('model.safetensors', weights.slice(0, weights.byteLength));
    const config = new TextEncoder().encode('{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64}');
    other.set('config.json', config);
    const after = await fingerprint({ other });
    expect(fingerprintChanges(before, after)).toEqual([`model tiny/llama-bf16-ft: config.json changed (size ${(await fixtureFiles('tiny/llama-bf16-ft')).get('config.json')?.byteLength} → ${config.byteLength} bytes)`]);
    expect(fingerprintChanges(before, { ...before, tool: '2.0.0' })).toEqual(['the tool version changed (1.0.0 → 2.0.0)']);
    expect(fingerprintChanges(before, { ...before, options: { seed: 3 } })).toEqual(['option out-shard-size changed (null → unset)', 'option seed changed (0 → 3)']);
    const hub = { ref: 'a/b', kind: 'hub' as const, revision: 'a'.repeat(40), files: [] };
    expect(fingerprintChanges({ ...before, inputs: { 'a/b': hub } }, { ...before, inputs: { 'a/b': { ...hub, revision: 'b'.repeat(40) } } })).toEqual(['model a/b: revision aaaaaaaaaaaa → bbbbbbbbbbbb']);
    const { ['tiny/llama-bf16']: base, ...rest } = before.inputs;
    expect(fingerprintChanges({ ...before, inputs: rest }, before)).toEqual(['model tiny/llama-bf16 is a new input']);
    expect(fingerprintChanges(before, { ...before, inputs: rest })).toEqual(['model tiny/llama-bf16 is no longer an input']);
    expect(base).toBeDefined();
    expect(fingerprintChanges(before, { ...before, plan: 'other' })).toEqual(['the merge plan changed']);
    expect(fingerprintChanges(undefined, before)).toEqual(['the unfinished output has no input fingerprint (an older version wrote it)']);
    expect(fingerprintChanges('garbage', before)).toHaveLength(1);
  });

  it('takes a local header digest from the loader: a run reads each header once, and the fingerprint is the same', async () => {
    // Reads that start a file (a safetensors header begins with its 8-byte length), by `ref:path`.
    const headerReads = new Map<string, number>();
    const counting = (folder: ModelFolder): ModelFolder =>
      observedFolder(folder, (path) => (offset) => {
        const key = `${folder.ref}:${path}`;
        if (offset === 0 && path.endsWith('.safetensors')) headerReads.set(key, (headerReads.get(key) ?? 0) + 1);
      });
    const folders = new Map([
      ['tiny/llama-bf16', counting(memoryFolder('tiny/llama-bf16', await fixtureFiles('tiny/llama-bf16')))],
      ['tiny/llama-bf16-ft', counting(memoryFolder('tiny/llama-bf16-ft', await fixtureFiles('tiny/llama-bf16-ft')))],
    ]);
    const models = new Map(await Promise.all([...folders].map(async ([key, folder]) => [key, await loadModel(folder)] as const)));
    const recipe = parseRecipe(RECIPE);
    const plan = compilePlan({ recipe, recipeText: RECIPE, models });
    const headers = parsedHeaders({ models, adapters: new Map() });
    const out = new MemoryDirectorySink('out');
    await runPlan(plan, folders, out, { identity: { toolVersion: '1.0.0', recipeText: RECIPE }, inputHeaders: headers });
    expect(Object.fromEntries(headerReads)).toEqual({ 'tiny/llama-bf16:model.safetensors': 1, 'tiny/llama-bf16-ft:model.safetensors': 1 });
    // The digest the loader computed is the one a fresh read of the header gives.
    const identity = { toolVersion: '1.0.0', recipeText: RECIPE, options: { seed: 0, 'out-shard-size': null } };
    const known = await fingerprintRun(plan, folders, identity, {}, undefined, headers);
    expect(known).toEqual(await fingerprintRun(plan, folders, identity, {}));
    expect(known).toEqual(await fingerprint());
  });

  it('reaches the run state, and the studio says why it started over', () => {
    const progress = applyEvents(initialProgress(undefined), [{ type: 'start', tensorCount: 1, bytesTotal: 1, resumedShards: [], restartReasons: ['the recipe changed', 'option seed changed (0 → 3)'] }]);
    expect(progress.restartReasons).toEqual(['the recipe changed', 'option seed changed (0 → 3)']);
    expect(restartNotice(progress)).toMatchObject({ kind: 'warn', text: 'the recipe changed; option seed changed (0 → 3).' });
    expect(restartNotice(initialProgress(undefined))).toBeUndefined();
  });
});
