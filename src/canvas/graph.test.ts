import { describe, expect, it } from 'vitest';

import { FRANKEN, LZLV, THORNS } from '../../test/fixtures/recipes';
import { parseRecipe } from '../recipe/parse';
import { buildGraph, parseNodeId } from './graph';

const graphOf = (yaml: string, loose: readonly string[] = []) => {
  const recipe = parseRecipe(yaml);
  return buildGraph(recipe.stages, recipe.final, loose, {});
};

describe('the canvas picture of a recipe', () => {
  it('puts a LoRA node between a model and the merges it feeds, and the merges one column further right', () => {
    const plain = graphOf(LZLV);
    const withLora = graphOf(LZLV.replace('  - model: tiny/llama-bf16-ft\n', '  - model: tiny/llama-bf16-ft+tiny/llama-lora\n'), ['tiny/llama-bf16+tiny/llama-lora@v2']);
    expect(withLora.nodes.filter((n) => n.type === 'model').map((n) => n.id)).toEqual(['model:tiny/llama-bf16', 'model:tiny/llama-bf16-ft', 'model:tiny/llama-bf16-ft2']);
    expect(withLora.nodes.filter((n) => n.type === 'lora').map((n) => n.id)).toEqual(['lora:tiny/llama-bf16-ft+tiny/llama-lora', 'lora:tiny/llama-bf16+tiny/llama-lora@v2']);
    const edges = withLora.edges.map((e) => `${e.source} -> ${e.target}${e.targetHandle === undefined ? '' : `.${e.targetHandle}`}`);
    expect(edges).toContain('model:tiny/llama-bf16-ft -> lora:tiny/llama-bf16-ft+tiny/llama-lora.model');
    expect(edges).toContain('lora:tiny/llama-bf16-ft+tiny/llama-lora -> stage:0.models');
    expect(edges).toContain('model:tiny/llama-bf16 -> lora:tiny/llama-bf16+tiny/llama-lora@v2.model');
    expect(edges).not.toContain('model:tiny/llama-bf16-ft -> stage:0.models');
    const x = (graph: ReturnType<typeof graphOf>, id: string) => graph.nodes.find((n) => n.id === id)?.position.x ?? NaN;
    expect(x(withLora, 'stage:0') - x(plain, 'stage:0')).toBe(x(withLora, 'lora:tiny/llama-bf16-ft+tiny/llama-lora'));
    expect(x(withLora, 'output')).toBeGreaterThan(x(withLora, 'stage:2'));
    expect(parseNodeId('lora:a/b@main+c/d')).toEqual({ kind: 'lora', ref: 'a/b@main+c/d' });
  });

  it('draws a LoRA on a merge output as a LoRA node fed by the merge, in the column after it, feeding the next merge', () => {
    const graph = graphOf(THORNS);
    expect(graph.nodes.filter((n) => n.type === 'model').map((n) => n.id).sort()).toEqual(
      ['model:tiny/llama-bf16', 'model:tiny/llama-bf16-ft', 'model:tiny/llama-bf16-ft2', 'model:tiny/llama-bf16-ft3', 'model:tiny/llama-bf16-ft4'],
    );
    expect(graph.nodes.filter((n) => n.type === 'lora').map((n) => n.id).sort()).toEqual(['lora:thorns-left+tiny/llama-lora', 'lora:thorns-right+tiny/llama-lora-rs', 'lora:tiny/llama-bf16-ft4+tiny/llama-lora-fifo']);
    const edges = graph.edges.map((e) => `${e.source} -> ${e.target}${e.targetHandle === undefined ? '' : `.${e.targetHandle}`}`);
    expect(edges).toEqual(expect.arrayContaining([
      'stage:0 -> lora:thorns-left+tiny/llama-lora.model',
      'lora:thorns-left+tiny/llama-lora -> stage:2.base',
      'stage:1 -> lora:thorns-right+tiny/llama-lora-rs.model',
      'lora:thorns-right+tiny/llama-lora-rs -> stage:2.models',
      'model:tiny/llama-bf16-ft4 -> lora:tiny/llama-bf16-ft4+tiny/llama-lora-fifo.model',
      'lora:tiny/llama-bf16-ft4+tiny/llama-lora-fifo -> stage:3.models',
      'stage:2 -> stage:3.base',
    ]));
    expect(edges.filter((e) => e.startsWith('stage:0 ->') || e.startsWith('stage:1 ->'))).toHaveLength(2);
    const x = (id: string) => graph.nodes.find((n) => n.id === id)?.position.x ?? NaN;
    expect(x('stage:0')).toBeLessThan(x('lora:thorns-left+tiny/llama-lora'));
    expect(x('lora:thorns-left+tiny/llama-lora')).toBeLessThan(x('stage:2'));
    expect(x('stage:2')).toBeLessThan(x('stage:3'));
    expect(x('stage:3')).toBeLessThan(x('output'));
  });

  it('draws one wire per model into a stage that reads it through several slices', () => {
    const graph = graphOf(FRANKEN.replace('tiny/llama-bf16-ft', 'tiny/llama-bf16'));
    expect(graph.edges.filter((e) => e.target === 'stage:0').map((e) => e.source)).toEqual(['model:tiny/llama-bf16']);
  });
});
