import { describe, expect, it } from 'vitest';

import { DEMO_MODELS } from '../../scripts/demo/demo-models';
import { planGgufForMerge } from '../engine/gguf-output';
import { loadInputs } from '../engine/load-inputs';
import { runPlan } from '../engine/run-plan';
import { memoryFolder } from '../io/model/memory-folder';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan } from '../plan/compile';
import { parseRecipe } from '../recipe/parse';
import { GGUF_PART_BYTES, checkFitsTab, ggufParts, identityRecipe } from './convert';

describe('Try it conversion', () => {
  it('turns one model folder into a GGUF through the identity recipe, every tensor copied', async () => {
    const dir = new MemoryDirectorySink();
    await DEMO_MODELS[0].write(dir);
    const text = identityRecipe('parent model');
    const recipe = parseRecipe(text);
    const inputs = await loadInputs(recipe, () => Promise.resolve(memoryFolder('parent model', dir.files)));
    const plan = compilePlan({ recipe, recipeText: text, models: inputs.models, adapters: inputs.adapters });
    const model = inputs.models.get('parent model');
    expect(plan.tensors.map((t) => t.name).sort()).toEqual([...(model?.tensors.keys() ?? [])].sort());
    const open = (input: string, file: string) => (inputs.folders.get(input) as NonNullable<ReturnType<typeof inputs.folders.get>>).open(file);
    const gguf = await planGgufForMerge(plan, open, { type: 'q8_0', name: 'parent', maxFileBytes: GGUF_PART_BYTES });
    const out = new MemoryDirectorySink();
    await runPlan(plan, inputs.folders, out, { gguf: { plan: gguf, only: true } });
    const files = ggufParts([...out.files.keys()]);
    expect(files).toEqual(['parent.gguf']);
    expect(new TextDecoder().decode(out.files.get('parent.gguf')?.subarray(0, 4))).toBe('GGUF');
    expect([...out.files.keys()].some((n) => n.endsWith('.safetensors'))).toBe(false);
  });

  it('orders split parts first to last and refuses a model the tab cannot hold', () => {
    expect(ggufParts(['m-00002-of-00002.gguf', 'config.json', 'm-00001-of-00002.gguf'])).toEqual(['m-00001-of-00002.gguf', 'm-00002-of-00002.gguf']);
    expect(checkFitsTab('small', 1e9)).toBe(Math.ceil(1e9 * (34 / 32)));
    expect(() => checkFitsTab('org/big-7b', 7e9)).toThrow(/org\/big-7b is too large to try in the tab/);
  });
});
