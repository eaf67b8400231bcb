import { describe, expect, it } from 'vitest';

import { loadFixtureInputs } from '../../test/fixtures/recipe-inputs';
import { GRADIENT_SLERP } from '../../test/fixtures/recipes';
import { parseRecipe } from '../recipe/parse';
import { interpolate } from '../recipe/settings';
import { withCardExtras } from './card-extras';
import { compilePlan } from './compile';

async function card(text: string): Promise<string> {
  const recipe = parseRecipe(text);
  const inputs = await loadFixtureInputs(recipe, {});
  const plan = compilePlan({ recipe, recipeText: text, models: inputs.models, adapters: inputs.adapters, outputName: 'my-merge' });
  const file = plan.extraFiles.find((f) => f.name === 'README.md');
  if (file?.kind !== 'text') throw new Error('no card');
  return file.text;
}

const fmt = (v: number) => String(Number(v.toFixed(3)));

describe('the model card', () => {
  it('has the front matter, the recipe and a per-layer table of the gradient as the plan resolved it', async () => {
    const text = await card(GRADIENT_SLERP);
    expect(text).toMatch(/^---\nbase_model:\n- tiny\/llama-bf16\n- tiny\/llama-bf16-ft\nlibrary_name: transformers\ntags:\n- mergekit\n- merge\n- merge-studio\n---\n# my-merge\n/);
    expect(text).toContain(`\`\`\`yaml\n${GRADIENT_SLERP.trimEnd()}\n\`\`\``);
    expect(text).toContain('| layer | t |');
    for (let layer = 0; layer < 4; layer++) {
      // A layer's tensors take the attention curve, the MLP curve, or 0.5 (norms): the cell spans them.
      const values = [interpolate([0, 0.5, 0.3, 0.7, 1], layer / 3), interpolate([1, 0.5, 0.7, 0.3, 0], layer / 3), 0.5];
      const row = new RegExp(`^\\| ${layer} \\| (\\S+) [▁▂▃▄▅▆▇█] \\|$`, 'm').exec(text);
      expect(row?.[1], `layer ${layer}`).toBe(`${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`);
    }
  });

  it('lists LoRA adapters among the parents and leaves the table out when nothing changes with depth', async () => {
    const text = await card('merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16\n  - model: tiny/llama-bf16-ft+tiny/llama-lora\nparameters: {t: 0.5}\n');
    expect(text).toMatch(/^---\nbase_model:\n- tiny\/llama-bf16\n- tiny\/llama-bf16-ft\n- tiny\/llama-lora\n/);
    expect(text).not.toContain('Per-layer parameters');
  });

  it('adds lens and perplexity measurements once, replacing earlier ones, and leaves out values that are not numbers', () => {
    const base = '---\nlibrary_name: transformers\n---\n# m\n';
    const once = withCardExtras(base, { lensSummary: 'Layers 2–3 moved most.', perplexity: [{ model: 'merged', perplexity: 7.123456, tokens: 512 }, { model: 'bad|name', perplexity: Number.NaN }] });
    expect(once).toContain('### Lens summary\n\nLayers 2–3 moved most.');
    expect(once).toContain('| merged | 7.123 | 512 |');
    expect(once).not.toContain('bad');
    const twice = withCardExtras(once, { perplexity: [{ model: 'merged', perplexity: 6.5 }] });
    expect(twice.match(/## Measurements/g)?.length).toBe(1);
    expect(twice).toContain('| merged | 6.500 | – |');
    expect(twice).not.toContain('Lens summary');
    expect(withCardExtras(once, undefined)).toBe(`${base}`);
  });
});
