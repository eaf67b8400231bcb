import { describe, expect, it } from 'vitest';

import type { Model } from '../io/model/types';
import { ARCHITECTURES, architectureOf, inferLayerIndex, layerCountOf } from './architectures';

/** Just what the architecture lookup reads: config and tensor names. */
function fakeModel(config: Record<string, unknown> | undefined, names: string[]): Model {
  return { config, tensors: new Map(names.map((n) => [n, {}])) } as unknown as Model;
}

describe('architectures', () => {
  it('lists the families the issue names, each under its Hugging Face class', () => {
    const classes = ARCHITECTURES.flatMap((a) => a.classes);
    for (const name of ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM', 'GemmaForCausalLM', 'Gemma2ForCausalLM', 'Gemma3ForCausalLM', 'Phi3ForCausalLM', 'GPT2LMHeadModel']) {
      expect(classes).toContain(name);
    }
    expect(new Set(classes).size).toBe(classes.length);
  });

  it('knows Llama-style names: layer index, renumbering, pre and post weights, embeddings, tying', () => {
    const arch = architectureOf(fakeModel({ architectures: ['Qwen3ForCausalLM'], num_hidden_layers: 28 }, []));
    expect(arch.known).toBe(true);
    expect(arch.layerIndex('model.layers.17.self_attn.q_norm.weight')).toBe(17);
    expect(arch.layerIndex('model.norm.weight')).toBeUndefined();
    expect(arch.withLayer('model.layers.17.mlp.up_proj.weight', 3)).toBe('model.layers.3.mlp.up_proj.weight');
    expect(arch.side('model.embed_tokens.weight')).toBe('pre');
    expect(arch.side('model.norm.weight')).toBe('post');
    expect(arch.side('lm_head.weight')).toBe('post');
    expect(arch.isEmbedding('lm_head.weight')).toBe(true);
    expect(arch.isEmbedding('model.norm.weight')).toBe(false);
    expect(arch.tiedTwins('lm_head.weight')).toEqual(['model.embed_tokens.weight']);
  });

  it('knows GPT-2 names with and without the transformer. prefix', () => {
    const arch = architectureOf(fakeModel({ architectures: ['GPT2LMHeadModel'], n_layer: 12 }, []));
    expect(arch.layerIndex('transformer.h.11.attn.c_attn.weight')).toBe(11);
    expect(arch.layerIndex('h.3.mlp.c_fc.bias')).toBe(3);
    expect(arch.withLayer('h.3.mlp.c_fc.bias', 7)).toBe('h.7.mlp.c_fc.bias');
    expect(arch.side('ln_f.weight')).toBe('post');
    expect(arch.side('transformer.wpe.weight')).toBe('pre');
    expect(arch.isEmbedding('wte.weight')).toBe(true);
    expect(arch.tiedTwins('lm_head.weight')).toEqual(['transformer.wte.weight', 'wte.weight']);
    expect(arch.side('lm_head.weight')).toBe('post');
    expect(layerCountOf(fakeModel({ architectures: ['GPT2LMHeadModel'], n_layer: 12 }, []))).toBe(12);
  });

  it('infers unknown families from tensor names, as mergekit does', () => {
    const model = fakeModel({ architectures: ['MysteryForCausalLM'] }, ['backbone.blocks.0.w', 'backbone.blocks.9.w', 'backbone.final.w', 'emb.weight']);
    const arch = architectureOf(model);
    expect(arch.known).toBe(false);
    expect(arch.layerIndex('backbone.blocks.9.w')).toBe(9);
    expect(arch.withLayer('backbone.blocks.9.w', 2)).toBe('backbone.blocks.2.w');
    expect(arch.side('backbone.final.w')).toBe('pre');
    expect(arch.layerCountKey).toBeUndefined();
    expect(layerCountOf(model)).toBe(10);
    expect(inferLayerIndex('0.weight')).toBe(0);
    expect(inferLayerIndex('model.embed_tokens.weight')).toBeUndefined();
  });
});
