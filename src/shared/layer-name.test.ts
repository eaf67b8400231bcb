import { describe, expect, it } from 'vitest';
import { layerIndexOf, layerPathOf } from './layer-name';

describe('layer names', () => {
  it('splits Llama, GPT-2 and block-style names at the layer', () => {
    expect(layerPathOf('model.layers.12.mlp.up_proj.weight')).toEqual({ prefix: 'model', container: 'layers', layer: 12, module: 'mlp.up_proj.weight' });
    expect(layerPathOf('transformer.h.0.attn.c_attn.weight')).toEqual({ prefix: 'transformer', container: 'h', layer: 0, module: 'attn.c_attn.weight' });
    expect(layerPathOf('vision.blocks.7.norm1.weight')).toEqual({ prefix: 'vision', container: 'blocks', layer: 7, module: 'norm1.weight' });
    expect(layerPathOf('base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight')?.prefix).toBe('base_model.model.model');
  });

  it('takes the first layer component and keeps an empty module', () => {
    expect(layerPathOf('a.layers.1.sub.blocks.2.w')).toMatchObject({ layer: 1, module: 'sub.blocks.2.w' });
    expect(layerPathOf('model.layers.4.')).toMatchObject({ layer: 4, module: '' });
  });

  it('says undefined outside the layers and for look-alikes', () => {
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight', 'model.norm.weight', 'layers.0.w', 'model.layers.x.w', 'model.layers.3', 'model.hh.1.w']) {
      expect(layerPathOf(name), name).toBeUndefined();
    }
    expect(layerIndexOf('model.layers.31.input_layernorm.weight')).toBe(31);
    expect(layerIndexOf('model.norm.weight')).toBeUndefined();
  });
});
