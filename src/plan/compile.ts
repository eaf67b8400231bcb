/**
 * recipe + model headers → {@link MergePlan}: every output tensor with its expression tree (reads, LoRA bakes, nested
 * stage merges), its resolved per-layer parameters, its dtype, shard and the files written beside it. Pure and
 * synchronous: everything a user must know before committing hours is computed here, and every check that can fail
 * fails here, before the first weight is read.
 *
 * The pieces: `references` (what a recipe reads), `support-checks`, `stage-layout` (stages as slices, output names),
 * `tensor-expressions` (one tensor's merge), `vocabulary` (embedding crops), `shards`, `output-files`, `reads` (the
 * distinct input ranges a tensor reads) and `memory` (peak memory).
 */
import { inferLayerIndex, layerCountOf } from './architectures';
import type { Model } from '../io/model/types';
import type { CompileInput } from './compile-input';
import { planPeakBytes } from './memory';
import { outputFiles } from './output-files';
import { inputBytesOf } from './reads';
import { assignShards } from './shards';
import type { ProducedTensor } from './shards';
import { StageLayouts } from './stage-layout';
import { checkStageLoras } from './stage-loras';
import { checkArchitectures, checkSupported } from './support-checks';
import { TensorExpressions } from './tensor-expressions';
import type { MergePlan } from './types';

export type { CompileInput } from './compile-input';
export type { LoadedAdapter } from './lora';
export { inputKey, referencedInputs } from './references';

/** Compiles a recipe against loaded model headers. Throws typed errors for everything that would fail later. */
export function compilePlan(input: CompileInput): MergePlan {
  const recipe = input.recipe;
  const warnings: string[] = [];
  for (const stage of recipe.stages) checkSupported(stage);
  const layouts = new StageLayouts(recipe, input.models);
  checkArchitectures(layouts.donorModel(recipe.final), input.models.values());
  checkStageLoras(recipe, layouts, input.adapters);
  const expressions = new TensorExpressions(input, layouts, warnings);
  const produced: ProducedTensor[] = layouts.outputNames(recipe.final).map((name) => ({ name, ...expressions.stageTensor(recipe.final, name) }));
  const { tensors, shards, bytes } = assignShards(produced, input.maxShardBytes, input.toolVersion);
  const extraFiles = outputFiles(input, layouts, produced, warnings);
  const extraBytes = extraFiles.reduce((sum, f) => sum + (f.kind === 'text' ? new TextEncoder().encode(f.text).byteLength : f.bytes), 0);
  return {
    version: 1,
    inputs: [...input.models.entries()].map(([key, model]) => ({ key, ref: model.ref, revision: model.revision, kind: model.folder.kind })),
    tensors,
    shards,
    extraFiles,
    warnings: [...warnings],
    summary: {
      tensorCount: tensors.length,
      shardCount: shards.length,
      outputBytes: bytes + extraBytes,
      inputBytes: tensors.reduce((sum, t) => sum + inputBytesOf(t.expr), 0),
      peakMemoryBytes: planPeakBytes(tensors),
    },
  };
}

/** The layer index of a tensor name, inferred from its first `.<digits>.` component (mergekit-spec §5.3). */
export function layerIndex(name: string): number | undefined {
  return inferLayerIndex(name);
}

/** Number of layers of a model (its family's config key, else counted from tensor names). */
export function layerCount(model: Model): number {
  return layerCountOf(model);
}
