/**
 * The canvas picture of a recipe: a node per model, per LoRA adapter use (`model+lora`: a node between the model and
 * the merges it feeds), per merge stage and for the output; edges model→LoRA, model or LoRA→stage and stage→stage
 * (multi-document recipes) into a stage's `base` or `models` handle, and final stage→output.
 */
import type { Edge, Node } from '@xyflow/react';

import { formatModelRef, splitLoraRef } from '../recipe/model-ref';
import type { MergeStage } from '../recipe/types';
import type { XY } from '../state/recipe-slice';
import { allModelRefs, distinctInputs, stageIndexOf, stageInputs } from '../state/recipe-graph';

export type ModelNodeData = { readonly ref: string };
/** `ref` is the whole `model+lora` reference. */
export type LoraNodeData = { readonly ref: string };
export type MergeNodeData = { readonly index: number };
export type OutputNodeData = Record<string, never>;

export type StudioNode = Node<ModelNodeData, 'model'> | Node<LoraNodeData, 'lora'> | Node<MergeNodeData, 'merge'> | Node<OutputNodeData, 'output'>;

export const modelNodeId = (ref: string) => `model:${ref}`;
export const loraNodeId = (ref: string) => `lora:${ref}`;
export const stageNodeId = (index: number) => `stage:${index}`;
export const OUTPUT_ID = 'output';

/** What a node id points at. */
export function parseNodeId(id: string): { kind: 'model'; ref: string } | { kind: 'lora'; ref: string } | { kind: 'stage'; index: number } | { kind: 'output' } {
  if (id.startsWith('model:')) return { kind: 'model', ref: id.slice('model:'.length) };
  if (id.startsWith('lora:')) return { kind: 'lora', ref: id.slice('lora:'.length) };
  if (id.startsWith('stage:')) return { kind: 'stage', index: Number(id.slice('stage:'.length)) };
  return { kind: 'output' };
}

// Room for a node (at most 280 px wide) and the handle labels left of the next column.
const COLUMN = 330;
const MODEL_ROW = 165;
const STAGE_ROW = 260;

/** Depth of each stage: 0 when it reads only models, else one more than its deepest input stage. */
function depths(stages: readonly MergeStage[]): number[] {
  const memo = new Map<number, number>();
  const depth = (i: number, seen: Set<number>): number => {
    const known = memo.get(i);
    if (known !== undefined) return known;
    if (seen.has(i)) return 0;
    seen.add(i);
    let d = 0;
    for (const input of stageInputs(stages[i] as MergeStage)) {
      const up = stageIndexOf(stages, input.ref);
      if (up !== undefined) d = Math.max(d, depth(up, seen) + 1);
    }
    memo.set(i, d);
    return d;
  };
  return stages.map((_, i) => depth(i, new Set()));
}

export function buildGraph(
  stages: readonly MergeStage[],
  final: number,
  looseModels: readonly string[],
  positions: Readonly<Record<string, XY>>,
): { nodes: StudioNode[]; edges: Edge[] } {
  const nodes: StudioNode[] = [];
  const edges: Edge[] = [];
  const at = (id: string, fallback: XY) => positions[id] ?? fallback;
  const refs = allModelRefs({ stages, looseModels });
  // A LoRA node's model is a model node, or a merge (`stage+adapter`: the LoRA bakes into the merge's output).
  const stageOf = (ref: string) => stageIndexOf(stages, splitLoraRef(ref).model);
  [...new Set(refs.map((ref) => splitLoraRef(ref).model))].filter((ref) => stageOf(ref) === undefined).forEach((ref, k) => {
    const id = modelNodeId(ref);
    nodes.push({ id, type: 'model', position: at(id, { x: 0, y: k * MODEL_ROW }), data: { ref } });
  });
  const loras = refs.filter((ref) => splitLoraRef(ref).lora !== undefined);
  const onStages = loras.filter((ref) => stageOf(ref) !== undefined);
  loras.filter((ref) => stageOf(ref) === undefined).forEach((ref, k) => {
    const id = loraNodeId(ref);
    nodes.push({ id, type: 'lora', position: at(id, { x: COLUMN, y: k * MODEL_ROW }), data: { ref } });
    edges.push({ id: `edge:lora:${ref}`, source: modelNodeId(splitLoraRef(ref).model), target: id, targetHandle: 'model', className: 'edge-lora', deletable: false });
  });
  // Merges move one column right when LoRA nodes sit between them and the models, and take every other column when
  // LoRA nodes sit on merge outputs (the LoRA node in the column after its merge).
  const first = loras.length > onStages.length ? 2 : 1;
  const spread = onStages.length > 0 ? 2 : 1;
  const depth = depths(stages);
  const rows = new Map<number, number>();
  const stageAt = new Map<number, XY>();
  stages.forEach((stage, i) => {
    const d = depth[i] ?? 0;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    const id = stageNodeId(i);
    stageAt.set(i, { x: COLUMN * (d * spread + first), y: row * STAGE_ROW });
    nodes.push({ id, type: 'merge', position: at(id, stageAt.get(i) as XY), data: { index: i } });
    distinctInputs(stage).forEach((input, k) => {
      const ref = formatModelRef(input.ref);
      const up = stageIndexOf(stages, input.ref);
      const source = input.ref.lora !== undefined ? loraNodeId(ref) : up !== undefined ? stageNodeId(up) : modelNodeId(ref);
      edges.push({
        id: `edge:${i}:${input.role}:${ref}:${k}`,
        source,
        target: id,
        targetHandle: input.role === 'base' ? 'base' : 'models',
        className: input.role === 'base' ? 'edge-base' : 'edge-model',
        data: { ref },
      });
    });
  });
  const perStage = new Map<number, number>();
  for (const ref of onStages) {
    const index = stageOf(ref) as number;
    const k = perStage.get(index) ?? 0;
    perStage.set(index, k + 1);
    const id = loraNodeId(ref);
    const from = stageAt.get(index) as XY;
    nodes.push({ id, type: 'lora', position: at(id, { x: from.x + COLUMN, y: from.y + k * MODEL_ROW }), data: { ref } });
    edges.push({ id: `edge:lora:${ref}`, source: stageNodeId(index), target: id, targetHandle: 'model', className: 'edge-lora', deletable: false });
  }
  if (stages.length > 0) {
    const maxDepth = Math.max(...depth);
    nodes.push({ id: OUTPUT_ID, type: 'output', position: at(OUTPUT_ID, { x: COLUMN * (maxDepth * spread + first + 1), y: 0 }), data: {}, deletable: false });
    edges.push({ id: 'edge:output', source: stageNodeId(final), target: OUTPUT_ID, deletable: false, className: 'edge-output' });
  }
  return { nodes, edges };
}
