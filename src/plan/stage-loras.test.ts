import { describe, expect, it } from 'vitest';

import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { THORNS } from '../../test/fixtures/recipes';
import { parseRecipe } from '../recipe/parse';
import { compilePlan } from './compile';
import { describePlan, stageLoraLabels } from './describe';
import { referencedInputs } from './references';
import type { LoraExpr, MergeExpr } from './types';

async function compile(text: string) {
  const recipe = parseRecipe(text);
  const inputs = await loadFixtureInputs(recipe);
  return compilePlan({ recipe, recipeText: text, models: inputs.models, adapters: inputs.adapters });
}

describe('LoRAs baked onto a stage output (stage+adapter)', () => {
  it('reads the adapters of stage references and loads no model for the stage names', () => {
    const { models, adapters } = referencedInputs(parseRecipe(THORNS));
    expect(models.map((m) => m.path).sort()).toEqual(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2', 'tiny/llama-bf16-ft3', 'tiny/llama-bf16-ft4']);
    expect(adapters.map((a) => a.path).sort()).toEqual(['tiny/llama-lora', 'tiny/llama-lora-fifo', 'tiny/llama-lora-rs']);
    // The stages run before the stages that use them, LoRA or not.
    const recipe = parseRecipe(THORNS);
    expect(recipe.order.map((i) => recipe.stages[i]!.name ?? 'final')).toEqual(['thorns-left', 'thorns-right', 'thorns-mid', 'final']);
  });

  it('plans the Thorns card: each adapter over the stage result (rounded to its dtype) or over the input read', async () => {
    const plan = await compile(THORNS);
    const final = plan.tensors.find((t) => t.name === 'model.layers.1.self_attn.o_proj.weight')!.expr as MergeExpr;
    const mid = final.inputs[final.baseIndex!] as MergeExpr;
    expect(mid.stage).toBe('thorns-mid');
    const left = mid.inputs[mid.baseIndex!] as MergeExpr;
    const right = mid.inputs[1 - mid.baseIndex!] as LoraExpr;
    // o_proj: llama-lora adapts only q/v, so thorns-left comes as it is; the rsLoRA (alpha 4, r 2) bakes into thorns-right.
    expect(left).toMatchObject({ kind: 'merge', stage: 'thorns-left' });
    expect(right).toMatchObject({ kind: 'lora', dtype: 'BF16', fanInFanOut: false, weight: { kind: 'merge', stage: 'thorns-right', dtype: 'BF16' } });
    expect(right.scale).toBeCloseTo(4 / Math.sqrt(2), 12);
    expect(right.a.input).toBe('tiny/llama-lora-rs');
    // The input LoRA with fan_in_fan_out bakes into the read of ft4.
    expect(final.inputs[1 - final.baseIndex!]).toMatchObject({ kind: 'lora', fanInFanOut: true, scale: 0.5, weight: { kind: 'read', input: 'tiny/llama-bf16-ft4' } });
    const qFinal = plan.tensors.find((t) => t.name === 'model.layers.1.self_attn.q_proj.weight')!.expr as MergeExpr;
    const qMid = qFinal.inputs[qFinal.baseIndex!] as MergeExpr;
    const q = qMid.inputs[qMid.baseIndex!] as LoraExpr;
    expect(q).toMatchObject({ kind: 'lora', scale: 2, weight: { kind: 'merge', stage: 'thorns-left' } });
    expect(stageLoraLabels(plan).sort()).toEqual(['thorns-left + tiny/llama-lora', 'thorns-right + tiny/llama-lora-rs']);
    expect(describePlan(plan)).toContain('⟵ thorns-right: slerp t=0.4500; thorns-left + tiny/llama-lora (LoRA ×2): slerp t=0.4000; thorns-mid: slerp t=0.5000');
  });

  it('bakes a LoRA on a stage into slice sources too: only the layers taken from stage+adapter carry it', async () => {
    const text = `name: left
merge_method: slerp
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16-ft
parameters: {t: 0.5}
dtype: bfloat16
---
merge_method: passthrough
slices:
  - sources:
      - model: left+tiny/llama-lora
        layer_range: [0, 2]
  - sources:
      - model: left
        layer_range: [2, 4]
`;
    const plan = await compile(text);
    const expr = (name: string) => plan.tensors.find((t) => t.name === name)!.expr;
    expect(expr('model.layers.1.self_attn.q_proj.weight')).toMatchObject({ kind: 'lora', weight: { kind: 'merge', stage: 'left' } });
    expect(expr('model.layers.3.self_attn.q_proj.weight')).toMatchObject({ kind: 'merge', stage: 'left' });
    expect(expr('model.layers.1.mlp.up_proj.weight')).toMatchObject({ kind: 'merge', stage: 'left' });
  });

  it('refuses an adapter whose factors do not fit the stage output, naming the stage, the adapter and the tensor', async () => {
    const text = 'name: narrow\nmerge_method: passthrough\nmodels:\n  - model: tiny/llama-narrow\n---\nmerge_method: passthrough\nmodels:\n  - model: narrow+tiny/llama-lora\n';
    await expect(compile(text)).rejects.toMatchObject({
      code: 'E_LORA_INVALID',
      message: expect.stringMatching(/^LoRA tiny\/llama-lora does not fit model\.layers\.0\.self_attn\.q_proj\.weight of stage narrow: A is \[4, 64\], B is \[64, 4\], the weight is \[32, 32\]\./),
    });
  });

  it('refuses an adapter for weights the stage does not produce', async () => {
    const short = 'name: short\nmerge_method: passthrough\nslices:\n  - sources:\n      - model: tiny/llama-bf16\n        layer_range: [0, 2]\ndtype: bfloat16\n---\n';
    await expect(compile(`${short}merge_method: passthrough\nmodels:\n  - model: short+tiny/llama-lora\n`)).rejects.toMatchObject({
      code: 'E_LORA_INVALID',
      message: 'LoRA tiny/llama-lora on stage short adapts model.layers.2.self_attn.q_proj.weight, which stage short does not produce: it was trained on another model.',
    });
  });
});
