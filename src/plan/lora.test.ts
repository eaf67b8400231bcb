import { describe, expect, it } from 'vitest';

import { fixtureFiles } from '../../test/fixtures/recipe-inputs';
import { readAdapterFolder } from '../io/model/load-adapter';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import type { Model } from '../io/model/types';
import { adaptedWeights, adapterFit, loraShapeProblem, parseLoraConfig } from './lora';
import type { LoadedAdapter } from './lora';

const model = async (id: string): Promise<Model> => loadModel(memoryFolder(id, await fixtureFiles(id)));

async function adapter(id: string): Promise<LoadedAdapter> {
  const { model: headers, config } = await readAdapterFolder(memoryFolder(id, await fixtureFiles(id)), id);
  return { model: headers, config: parseLoraConfig(config, id) };
}

const NAMES = { lora: 'org/adapter', model: 'org/model' };

describe('whether a LoRA adapter fits a model, from headers alone', () => {
  it('lists the weights it adapts and fits the model it was trained on', async () => {
    const lora = await adapter('tiny/llama-lora');
    const weights = adaptedWeights(lora.model);
    // 4 layers × q_proj and v_proj.
    expect(weights).toHaveLength(8);
    expect(weights).toContain('model.layers.3.self_attn.v_proj.weight');
    expect(adapterFit(await model('tiny/llama-bf16'), lora, 'tiny/llama-lora')).toEqual({ weights: 8, problem: undefined });
  });

  it('names the first weight whose shape disagrees with the factors', async () => {
    const fit = adapterFit(await model('tiny/llama-narrow'), await adapter('tiny/llama-lora'), 'tiny/llama-lora');
    expect(fit.weights).toBe(8);
    expect(fit.problem).toMatch(/^LoRA tiny\/llama-lora does not fit model\.layers\.\d\.self_attn\.[qv]_proj\.weight of tiny\/llama-narrow: A is \[4, 64\], B is \[\d+, 4\], the weight is \[\d+, 32\]\.$/);
  });

  it('names an adapted weight the model lacks, and an adapter with no factors', async () => {
    const lora = await adapter('tiny/llama-lora');
    const full = await model('tiny/llama-bf16');
    const shallow: Model = { ...full, tensors: new Map([...full.tensors].filter(([name]) => !name.startsWith('model.layers.3.'))) };
    expect(adapterFit(shallow, lora, 'tiny/llama-lora').problem).toMatch(/adapts model\.layers\.3\.self_attn\.[qv]_proj\.weight, which tiny\/llama-bf16 does not have/);
    const empty: LoadedAdapter = { ...lora, model: { ...lora.model, tensors: new Map() } };
    expect(adapterFit(full, empty, 'tiny/llama-lora')).toEqual({ weights: 0, problem: expect.stringMatching(/changes nothing/) });
  });

  it('reads shapes as PEFT stores them: [out, in], or [in, out] with fan_in_fan_out', () => {
    const conv1d = { name: 'h.0.attn.c_attn.weight', shape: [64, 192] };
    expect(loraShapeProblem(conv1d, [4, 64], [192, 4], true, NAMES)).toBeUndefined();
    expect(loraShapeProblem(conv1d, [4, 64], [192, 4], false, NAMES)).toBe(
      'LoRA org/adapter does not fit h.0.attn.c_attn.weight of org/model: A is [4, 64], B is [192, 4], the weight is [64, 192].',
    );
    // B's rank must be A's.
    expect(loraShapeProblem({ name: 'q.weight', shape: [64, 64] }, [4, 64], [64, 8], false, NAMES)).toMatch(/does not fit q\.weight/);
    expect(loraShapeProblem({ name: 'norm.weight', shape: [64] }, [4, 64], [64, 4], false, NAMES)).toMatch(/does not fit norm\.weight/);
  });
});
