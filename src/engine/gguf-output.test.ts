import { describe, expect, it } from 'vitest';

import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { writeModel } from '../../test/fixtures/models';
import type { ModelSpec } from '../../test/fixtures/models';
import { memoryFolder } from '../io/model/memory-folder';
import type { FileSink } from '../io/sink/byte-sink';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { PARTIAL_MARKER } from '../io/safetensors/writer';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';
import { GGUF_MARKER, planGgufForMerge } from './gguf-output';
import { runPlan } from './run-plan';
import type { RunOptions } from './run-plan';

const SPEC: ModelSpec = { arch: 'llama', dtype: 'BF16', layers: 2, hidden: 64, intermediate: 128, heads: 4, kvHeads: 2, vocab: 320, seed: 41, tokenizer: 'llama2' };
const RECIPE = `merge_method: slerp
base_model: base
models:
  - model: base
  - model: sibling
parameters:
  t: 0.3
dtype: bfloat16
`;

/** Remembers which files were created. */
class RecordingSink extends MemoryDirectorySink {
  readonly created: string[] = [];
  override createFile(name: string): Promise<FileSink> {
    this.created.push(name);
    return super.createFile(name);
  }
}

async function setup(only: boolean) {
  const files = async (spec: ModelSpec) => {
    const dir = new MemoryDirectorySink();
    await writeModel(dir, spec);
    return dir.files;
  };
  const recipe = parseRecipe(RECIPE);
  const inputs = await loadFixtureInputs(recipe, { base: memoryFolder('base', await files(SPEC)), sibling: memoryFolder('sibling', await files({ ...SPEC, derivedFrom: { seed: 42, scale: 0.5 } })) });
  const plan = compilePlan({ recipe, recipeText: RECIPE, models: inputs.models, adapters: inputs.adapters });
  const gguf = await planGgufForMerge(plan, (input, file) => inputs.folders.get(input)!.open(file), { type: 'q8_0', name: 'm', maxFileBytes: 40_000 });
  const run = (dir: MemoryDirectorySink, options: RunOptions = {}) => runPlan(plan, inputs.folders, dir, { gguf: { plan: gguf, only }, ...options });
  return { gguf, run };
}

describe('GGUF output in the run', () => {
  it('writes only the GGUF parts (and the small files) with --format gguf, and removes both markers', async () => {
    const { gguf, run } = await setup(true);
    const dir = new MemoryDirectorySink();
    await run(dir);
    const names = [...dir.files.keys()];
    expect(gguf.files.length).toBeGreaterThan(2);
    for (const f of gguf.files) expect(dir.files.get(f.file)?.byteLength).toBe(f.bytes);
    expect(names.some((n) => n.endsWith('.safetensors'))).toBe(false);
    expect(names).not.toContain(GGUF_MARKER);
    expect(names).not.toContain(PARTIAL_MARKER);
    expect(names).toContain('config.json');
  });

  it('resumes after a cancel: finished parts are kept, the result equals an uninterrupted run', async () => {
    const { gguf, run } = await setup(false);
    const whole = new MemoryDirectorySink();
    await run(whole);
    const dir = new RecordingSink();
    const controller = new AbortController();
    let seen = 0;
    await expect(run(dir, { signal: controller.signal, onEvent: (e) => e.type === 'tensor' && ++seen === 14 && controller.abort() })).rejects.toThrow();
    const kept = gguf.files.map((f) => f.file).filter((f) => dir.files.has(f));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(gguf.files.length);
    expect(dir.files.has(GGUF_MARKER)).toBe(true);
    dir.created.length = 0;
    await run(dir, { resume: true });
    for (const f of kept) expect(dir.created).not.toContain(f);
    for (const f of gguf.files) expect(Buffer.from(dir.files.get(f.file)!).equals(Buffer.from(whole.files.get(f.file)!))).toBe(true);
    expect(Buffer.from(dir.files.get('model.safetensors')!).equals(Buffer.from(whole.files.get('model.safetensors')!))).toBe(true);
    expect(dir.files.has(GGUF_MARKER)).toBe(false);
  });
});
