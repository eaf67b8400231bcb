import { describe, expect, it } from 'vitest';

import { parseRecipe } from '../recipe/parse';
import { LZLV } from '../../test/fixtures/recipes';
import { wireProblem } from './compatibility';
import type { MergeStage } from '../recipe/types';
import type { ModelSummary } from './model-summary';
import type { SourceEntry } from './sources-slice';

const summary = (ref: string, architecture: string, layers: number, vocab?: number, adapter = false): SourceEntry => ({
  status: 'ready',
  kind: 'hub',
  summary: { ref, kind: 'hub', architecture, layers, params: 1, dtype: 'BF16', sizeBytes: 2, revision: undefined, shapes: {}, vocab, adapter } satisfies ModelSummary,
});

describe('wire compatibility from headers', () => {
  const stages = parseRecipe(LZLV).stages;

  it('refuses a model with another layer count, naming both models and the counts', () => {
    const sources = {
      'tiny/llama-bf16': summary('tiny/llama-bf16', 'LlamaForCausalLM', 4),
      'deep/llama': summary('deep/llama', 'LlamaForCausalLM', 8),
    };
    const reason = wireProblem(stages, sources, { kind: 'model', ref: 'deep/llama' }, 1);
    expect(reason).toContain('deep/llama has 8 layers but tiny/llama-bf16 has 4');
  });

  it('judges a stage by the models that feed it, and lets unknown models through', () => {
    const sources = {
      'tiny/llama-bf16': summary('tiny/llama-bf16', 'LlamaForCausalLM', 4),
      'tiny/qwen2-bf16': summary('tiny/qwen2-bf16', 'Qwen2ForCausalLM', 4),
    };
    // component-1 reads tiny/llama-bf16; a stage fed by Qwen2 would not fit.
    const withQwen = [...stages, { ...stages[1]!, name: 'qwen-stage', baseModel: { path: 'tiny/qwen2-bf16' }, models: [] }];
    expect(wireProblem(withQwen, sources, { kind: 'stage', index: 3 }, 0)).toContain('Qwen2ForCausalLM');
    expect(wireProblem(stages, sources, { kind: 'model', ref: 'not/loaded' }, 0)).toBeUndefined();
    expect(wireProblem(stages, sources, { kind: 'model', ref: 'tiny/llama-bf16' }, 2)).toBeUndefined();
  });

  it('refuses vocabulary sizes the method cannot reconcile, as mergekit handles them', () => {
    const sources = {
      'org/base': summary('org/base', 'LlamaForCausalLM', 4, 256),
      'org/same': summary('org/same', 'LlamaForCausalLM', 4, 256),
      'org/more': summary('org/more', 'LlamaForCausalLM', 4, 320),
      'org/fewer': summary('org/fewer', 'LlamaForCausalLM', 4, 200),
    };
    const stage = (method: string): MergeStage[] => [{ mergeMethod: method, baseModel: { path: 'org/base' }, models: [{ model: { path: 'org/same' }, parameters: {} }], parameters: {} }];
    // NearSwap cannot merge embeddings of different sizes at all.
    expect(wireProblem(stage('nearswap'), sources, { kind: 'model', ref: 'org/more' }, 0)).toMatch(/^org\/more has 320 tokens but org\/base has 256: NearSwap cannot merge embeddings of different vocabulary sizes/);
    // Linear keeps the rows every model has (with a warning in the plan).
    expect(wireProblem(stage('linear'), sources, { kind: 'model', ref: 'org/more' }, 0)).toBeUndefined();
    // TIES keeps the base's rows: another model may have more, not fewer; nor may a new base have more than the others.
    expect(wireProblem(stage('ties'), sources, { kind: 'model', ref: 'org/more' }, 0)).toBeUndefined();
    expect(wireProblem(stage('ties'), sources, { kind: 'model', ref: 'org/fewer' }, 0)).toMatch(/^org\/fewer has 200 tokens, fewer than the base org\/base \(256\): TIES keeps the base's vocabulary/);
    expect(wireProblem(stage('ties'), sources, { kind: 'model', ref: 'org/more' }, 0, 'base')).toMatch(/^org\/same has 256 tokens, fewer than the base org\/more \(320\)/);
  });

  it('refuses an adapter folder wired in as a model, even into an empty merge', () => {
    const sources = { 'my-adapter': summary('my-adapter', 'unknown', 0, undefined, true) };
    const empty: MergeStage[] = [{ mergeMethod: 'linear', models: [], parameters: {} }];
    expect(wireProblem(empty, sources, { kind: 'model', ref: 'my-adapter' }, 0)).toBe(
      'my-adapter is a LoRA adapter, not a model: put it on its base model with a LoRA node (select the model, then Add LoRA node).',
    );
  });
});
