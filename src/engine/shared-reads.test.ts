import { describe, expect, it } from 'vitest';

import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { LZLV } from '../../test/fixtures/recipes';
import { observedFolder } from '../io/model/observed-folder.test-support';
import type { ModelFolder } from '../io/model/types';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan } from '../plan/compile';
import { allReads, distinctReads } from '../plan/reads';
import type { MergePlan } from '../plan/types';
import { parseRecipe } from '../recipe/parse';
import { runPlan } from './run-plan';
import type { RunOptions } from './run-plan';

/** Bytes read from each (input, file) during the run, through a counting source. */
type ReadLog = Map<string, number>;

function counting(folder: ModelFolder, log: ReadLog): ModelFolder {
  return observedFolder(folder, async (path, source) => {
    const key = `${folder.ref}:${path}`;
    // Reads of the safetensors header (the run's input fingerprint digests it) are not weight reads.
    const prefix = path.endsWith('.safetensors') ? await source.read(0, 8) : new Uint8Array(8);
    const dataStart = 8 + Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
    return (offset, length) => {
      if (offset >= dataStart || !path.endsWith('.safetensors')) log.set(key, (log.get(key) ?? 0) + length);
      else expect(offset + length, `${key}: a read across the header's end`).toBeLessThanOrEqual(dataStart);
    };
  });
}

async function mergeCounting(options: Omit<RunOptions, 'onEvent'>): Promise<{ plan: MergePlan; log: ReadLog; out: Uint8Array }> {
  const recipe = parseRecipe(LZLV);
  const inputs = await loadFixtureInputs(recipe);
  const plan = compilePlan({ recipe, recipeText: LZLV, models: inputs.models, adapters: inputs.adapters });
  const log: ReadLog = new Map();
  const folders = new Map([...inputs.folders].map(([key, folder]) => [key, counting(folder, log)]));
  const out = new MemoryDirectorySink('out');
  await runPlan(plan, folders, out, options);
  return { plan, log, out: out.files.get('model.safetensors') as Uint8Array };
}

/** Bytes of weights the plan's trees read from each (input, file), each distinct range once. */
function expectedReads(plan: MergePlan): ReadLog {
  const expected: ReadLog = new Map();
  for (const tensor of plan.tensors) {
    for (const read of distinctReads(tensor.expr)) {
      const ref = plan.inputs.find((i) => i.key === read.input)?.ref ?? read.input;
      const key = `${ref}:${read.file}`;
      expected.set(key, (expected.get(key) ?? 0) + read.length);
    }
  }
  return expected;
}

function weightReads(log: ReadLog): ReadLog {
  return new Map([...log].filter(([key]) => key.endsWith('.safetensors')));
}

describe('shared reads: a model that feeds two stages is read once per tensor', () => {
  it('the lzlv-style plan reads the shared model in both components, and counts its bytes once', async () => {
    const recipe = parseRecipe(LZLV);
    const inputs = await loadFixtureInputs(recipe);
    const plan = compilePlan({ recipe, recipeText: LZLV, models: inputs.models, adapters: inputs.adapters });
    const tensor = plan.tensors.find((t) => t.name.endsWith('layers.0.mlp.down_proj.weight'));
    expect(tensor).toBeDefined();
    const reads = allReads(tensor!.expr);
    expect(reads).toHaveLength(4); // two components of two models each
    expect(distinctReads(tensor!.expr)).toHaveLength(3); // tiny/llama-bf16 appears in both
    const total = plan.tensors.reduce((s, t) => s + distinctReads(t.expr).reduce((a, r) => a + r.length, 0), 0);
    expect(plan.summary.inputBytes).toBe(total);
    expect(plan.summary.inputBytes).toBeLessThan(plan.tensors.reduce((s, t) => s + allReads(t.expr).reduce((a, r) => a + r.length, 0), 0));
  });

  it('each model tensor is read from its source once, preloaded or streamed, and the results are the same', async () => {
    const preloaded = await mergeCounting({});
    const streamed = await mergeCounting({ preloadBytes: 0, chunkElements: 1000 });
    const expected = expectedReads(preloaded.plan);
    expect(weightReads(preloaded.log)).toEqual(expected);
    // Streamed (over the preload budget), the shared model is read whole once; a model that one stage reads streams
    // once per pass of its SLERP (one reduction pass, then the output pass), as a tensor too large to hold does.
    const shared = 'tiny/llama-bf16:model.safetensors';
    expect(streamed.log.get(shared)).toBe(expected.get(shared));
    for (const [key, bytes] of expected) if (key !== shared) expect(streamed.log.get(key)).toBe(2 * bytes);
    // Three models, one of them in two stages: every byte of each model's weights once.
    expect([...expected.values()].reduce((a, b) => a + b, 0)).toBe(preloaded.plan.summary.inputBytes);
    expect(Buffer.from(streamed.out).equals(Buffer.from(preloaded.out))).toBe(true);
  });
});
