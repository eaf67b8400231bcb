/**
 * recipe + model headers → {@link MergePlan}: every output tensor with its expression tree (reads, LoRA bakes, nested
 * stage merges), its resolved per-layer parameters, its dtype, shard and the files written beside it. Pure and
 * synchronous: everything a user must know before committing hours is computed here, and every check that can fail
 * fails here, before the first weight is read.
 */
import { AppError } from '../shared/errors';
import type { Model, ModelTensor } from '../io/model/types';
import type { DType, FloatDType } from '../io/safetensors/dtype';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import { DEFAULT_MAX_SHARD_BYTES, planShards } from '../io/safetensors/layout';
import { getMethod } from '../methods/registry';
import type { MethodSpec } from '../methods/types';
import { formatModelRef } from '../recipe/model-ref';
import { NON_LAYER_POSITION, layerPosition, resolveParameter } from '../recipe/settings';
import type { MergeStage, ModelRef, Parameters, RecipeDocument, TorchDType } from '../recipe/types';
import type { LoraConfig } from './lora';
import { loraTensorNames } from './lora';
import { modelCard } from './model-card';
import type { MergeExpr, MergePlan, ParamValue, PlannedFile, PlannedTensor, ReadExpr, TensorExpr } from './types';

export interface LoadedAdapter {
  readonly model: Model;
  readonly config: LoraConfig;
}

export interface CompileInput {
  readonly recipe: RecipeDocument;
  /** The recipe exactly as the user wrote it (written as mergekit_config.yml and into the model card). */
  readonly recipeText: string;
  /** Input models by {@link inputKey}. */
  readonly models: ReadonlyMap<string, Model>;
  /** LoRA adapters by {@link inputKey} of the adapter reference. */
  readonly adapters?: ReadonlyMap<string, LoadedAdapter>;
  readonly maxShardBytes?: number;
  readonly seed?: number;
  /** Heading of the model card (the output folder's name). */
  readonly outputName?: string;
  /** Version string recorded in the index metadata and the card. */
  readonly toolVersion?: string;
}

const TORCH_TO_DTYPE: Readonly<Record<TorchDType, FloatDType>> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

/** Elements per chunk the engine streams; the plan's peak-memory estimate is based on it. */
export const ENGINE_CHUNK_ELEMENTS = 1 << 20;

/** The key a model (or adapter) reference is loaded under: path and revision, no LoRA. */
export function inputKey(ref: { readonly path: string; readonly revision?: string }): string {
  return ref.revision === undefined ? ref.path : `${ref.path}@${ref.revision}`;
}

/** Every model and adapter the recipe reads (stage names excluded): what the caller must load before compiling. */
export function referencedInputs(recipe: RecipeDocument): { models: ModelRef[]; adapters: { path: string; revision?: string }[] } {
  const stageNames = new Set(recipe.stages.flatMap((s) => (s.name === undefined ? [] : [s.name])));
  const models = new Map<string, ModelRef>();
  const adapters = new Map<string, { path: string; revision?: string }>();
  for (const stage of recipe.stages) {
    for (const ref of stageRefs(stage)) {
      if (isStageRef(ref, stageNames)) continue;
      models.set(inputKey(ref), { path: ref.path, ...(ref.revision === undefined ? {} : { revision: ref.revision }) });
      if (ref.lora !== undefined) adapters.set(inputKey(ref.lora), ref.lora);
    }
  }
  return { models: [...models.values()], adapters: [...adapters.values()] };
}

function stageRefs(stage: MergeStage): ModelRef[] {
  const refs = [...(stage.baseModel === undefined ? [] : [stage.baseModel]), ...(stage.models ?? []).map((m) => m.model)];
  if (stage.tokenizer?.source.kind === 'model') refs.push(stage.tokenizer.source.model);
  return refs;
}

function isStageRef(ref: ModelRef, stageNames: ReadonlySet<string>): boolean {
  return ref.revision === undefined && ref.lora === undefined && stageNames.has(ref.path);
}

interface StageInput {
  readonly ref: ModelRef;
  readonly parameters: Parameters;
  readonly isBase: boolean;
}

class Compiler {
  private readonly stageIndex = new Map<string, number>();

  constructor(private readonly input: CompileInput) {
    input.recipe.stages.forEach((stage, i) => {
      if (stage.name !== undefined) this.stageIndex.set(stage.name, i);
    });
  }

  compile(): MergePlan {
    const recipe = this.input.recipe;
    const final = recipe.stages[recipe.final] as MergeStage;
    for (const stage of recipe.stages) this.checkSupported(stage);
    const donor = this.donorModel(recipe.final);
    this.checkArchitectures(donor);
    const produced: { name: string; dtype: DType; shape: readonly number[]; expr: TensorExpr }[] = [];
    for (const tensor of donor.tensors.values()) {
      const { expr, dtype } = this.stageTensor(recipe.final, tensor.name);
      produced.push({ name: tensor.name, dtype, shape: tensor.shape, expr });
    }
    const shardPlan = planShards(produced, this.input.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES, {
      indexMetadata: { mergekit_version: this.input.toolVersion ?? 'merge-studio' },
    });
    const byName = new Map(produced.map((p) => [p.name, p]));
    const tensors: PlannedTensor[] = shardPlan.shards.flatMap((shard, i) =>
      shard.header.tensors.map((info) => {
        const p = byName.get(info.name) as (typeof produced)[number];
        return { name: p.name, dtype: p.dtype, shape: p.shape, shard: i, expr: p.expr };
      }),
    );
    const extraFiles = this.extraFiles(final, donor);
    const inputBytes = tensors.reduce((sum, t) => sum + reads(t.expr).reduce((s, r) => s + r.length, 0), 0);
    const shardBytes = shardPlan.shards.reduce((sum, s) => sum + s.bytes, 0);
    const extraBytes = extraFiles.reduce((sum, f) => sum + (f.kind === 'text' ? new TextEncoder().encode(f.text).byteLength : f.bytes), 0);
    return {
      version: 1,
      inputs: [...this.input.models.entries()].map(([key, model]) => ({ key, ref: model.ref, revision: model.revision, kind: model.folder.kind })),
      tensors,
      shards: shardPlan.shards.map((s) => ({ file: s.file, tensors: s.header.tensors.map((t) => t.name), bytes: s.bytes })),
      extraFiles,
      summary: {
        tensorCount: tensors.length,
        shardCount: shardPlan.shards.length,
        outputBytes: shardBytes + extraBytes + (shardPlan.index?.byteLength ?? 0),
        inputBytes,
        peakMemoryBytes: Math.max(0, ...tensors.map((t) => peakBytes(t))),
      },
    };
  }

  /** Models of different architectures are refused (mergekit's `--allow-crimes` is not offered). */
  private checkArchitectures(donor: Model): void {
    const architecture = (m: Model) => {
      const list = m.config?.['architectures'];
      return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : undefined;
    };
    const expected = architecture(donor);
    for (const model of this.input.models.values()) {
      const found = architecture(model);
      if (expected !== undefined && found !== undefined && found !== expected) {
        throw new AppError('E_ARCH_MISMATCH', `${model.ref} is a ${found} but ${donor.ref} is a ${expected}: models of different architectures cannot be merged.`, {
          context: { model: model.ref },
          hint: 'Merge fine-tunes of the same base architecture.',
        });
      }
    }
  }

  private checkSupported(stage: MergeStage): void {
    const where = stage.name === undefined ? 'the recipe' : `stage ${stage.name}`;
    if (stage.slices !== undefined || stage.modules !== undefined) {
      throw new AppError('E_UNSUPPORTED', `${where} uses ${stage.slices !== undefined ? 'slices:' : 'modules:'}, which the merge engine does not run yet.`, {
        hint: 'Use models: (whole-model merges) for now.',
      });
    }
    if (stage.tokenizer?.source.kind === 'union') {
      throw new AppError('E_UNSUPPORTED', `${where} asks for a union tokenizer, which is not supported yet.`, {
        hint: 'Use tokenizer_source: base, or a model reference.',
      });
    }
  }

  /** The inputs of a `models:` stage, with the base appended when it is not listed (mergekit-spec §1.3). */
  private stageInputs(stage: MergeStage): StageInput[] {
    const models = stage.models ?? [];
    const listed = models.map((m) => ({ ref: m.model, parameters: m.parameters, isBase: stage.baseModel !== undefined && sameRef(m.model, stage.baseModel) }));
    if (stage.baseModel !== undefined && !listed.some((m) => m.isBase)) listed.push({ ref: stage.baseModel, parameters: {}, isBase: true });
    return listed;
  }

  /** The model whose tensor names, shapes and config the stage's output takes: its base, else its first model. */
  private donorModel(stageIndex: number): Model {
    const stage = this.input.recipe.stages[stageIndex] as MergeStage;
    const ref = stage.baseModel ?? stage.models?.[0]?.model;
    if (ref === undefined) throw new AppError('E_RECIPE_INVALID', 'A stage has no models.');
    const nested = this.nestedStage(ref);
    return nested === undefined ? this.model(ref) : this.donorModel(nested);
  }

  private nestedStage(ref: ModelRef): number | undefined {
    return ref.revision === undefined && ref.lora === undefined ? this.stageIndex.get(ref.path) : undefined;
  }

  private model(ref: ModelRef): Model {
    const model = this.input.models.get(inputKey(ref));
    if (model === undefined) throw new AppError('E_INTERNAL', `Model ${formatModelRef(ref)} was not loaded before planning.`);
    return model;
  }

  /** One tensor of one stage's output: a merge of its inputs' tensors (or a copy, for integer tensors). */
  private stageTensor(stageIndex: number, tensorName: string): { expr: TensorExpr; dtype: DType; shape: readonly number[] } {
    const stage = this.input.recipe.stages[stageIndex] as MergeStage;
    const method = getMethod(stage.mergeMethod) as MethodSpec;
    const inputs = this.stageInputs(stage);
    const sources = inputs.map((input) => ({ input, ...this.sourceTensor(input.ref, tensorName) }));
    const baseIndex = inputs.findIndex((i) => i.isBase);
    const reference = sources[baseIndex >= 0 ? baseIndex : 0] as (typeof sources)[number];
    for (const source of sources) {
      if (source.shape.join() !== reference.shape.join()) {
        throw new AppError(
          'E_SHAPE_MISMATCH',
          `Tensor ${tensorName} is [${source.shape.join(', ')}] in ${formatModelRef(source.input.ref)} but [${reference.shape.join(', ')}] in ${formatModelRef(reference.input.ref)}.`,
          {
            context: { tensor: tensorName, model: formatModelRef(source.input.ref) },
            hint: /embed|lm_head/.test(tensorName)
              ? 'The models have different vocabulary sizes; merging them needs a tokenizer merge, which is not supported yet.'
              : 'These models do not share an architecture; merge models of the same size and family.',
          },
        );
      }
    }
    if (!isFloatDType(reference.dtype)) {
      // Integer tensors are never interpolated: copied from the base (or first) model, as they are.
      return { expr: reference.expr, dtype: reference.dtype, shape: reference.shape };
    }
    for (const source of sources) {
      if (!isFloatDType(source.dtype)) {
        throw new AppError('E_SHAPE_MISMATCH', `Tensor ${tensorName} is ${source.dtype} in ${formatModelRef(source.input.ref)} but ${reference.dtype} elsewhere.`, {
          context: { tensor: tensorName },
          hint: 'Merge models that store this tensor with the same kind of numbers.',
        });
      }
    }
    const dtype = stageDtype(stage, reference.dtype);
    const t = this.position(stageIndex, tensorName);
    const model = (i: StageInput) => formatModelRef(i.ref);
    const globals: Record<string, ParamValue> = {};
    for (const param of method.params.filter((p) => p.scope === 'global')) {
      const value = resolveParameter(param, { global: stage.parameters }, { tensor: tensorName, t });
      if (value !== undefined) globals[param.name] = toParam(value, param.name, tensorName);
    }
    const perModel = inputs.map((input) => {
      const values: Record<string, ParamValue> = {};
      for (const param of method.params.filter((p) => p.scope === 'model')) {
        const value = resolveParameter(param, { source: input.parameters, global: stage.parameters }, { tensor: tensorName, t, model: model(input), isBase: input.isBase && method.base !== 'none' });
        if (value !== undefined) values[param.name] = toParam(value, param.name, tensorName);
      }
      return values;
    });
    const expr: MergeExpr = {
      kind: 'merge',
      method: method.id,
      stage: stage.name,
      inputs: sources.map((s) => s.expr),
      baseIndex: baseIndex >= 0 && method.base !== 'none' ? baseIndex : undefined,
      globals,
      perModel,
      dtype,
      seed: this.input.seed ?? 0,
    };
    return { expr, dtype, shape: reference.shape };
  }

  /** The expression for `tensorName` of one input: a nested stage, a read, or a read with a LoRA baked in. */
  private sourceTensor(ref: ModelRef, tensorName: string): { expr: TensorExpr; dtype: DType; shape: readonly number[] } {
    const nested = this.nestedStage(ref);
    if (nested !== undefined) return this.stageTensor(nested, tensorName);
    const model = this.model(ref);
    const tensor = findTensor(model, tensorName);
    const read = readExpr(inputKey(ref), tensor);
    if (ref.lora === undefined || !isFloatDType(tensor.dtype)) return { expr: read, dtype: tensor.dtype, shape: tensor.shape };
    return { expr: this.bakeLora(ref, tensor, read), dtype: tensor.dtype, shape: tensor.shape };
  }

  private bakeLora(ref: ModelRef, tensor: ModelTensor, read: ReadExpr): TensorExpr {
    const lora = ref.lora as NonNullable<ModelRef['lora']>;
    const adapter = this.input.adapters?.get(inputKey(lora));
    if (adapter === undefined) throw new AppError('E_INTERNAL', `Adapter ${formatModelRef({ path: lora.path, ...(lora.revision ? { revision: lora.revision } : {}) })} was not loaded.`);
    const names = loraTensorNames(tensor.name);
    const a = names === undefined ? undefined : adapter.model.tensors.get(names.a);
    const b = names === undefined ? undefined : adapter.model.tensors.get(names.b);
    if (a === undefined || b === undefined) return read;
    const [out, inFeatures] = adapter.config.fanInFanOut ? [tensor.shape[1], tensor.shape[0]] : [tensor.shape[0], tensor.shape[1]];
    const rank = a.shape[0];
    if (tensor.shape.length !== 2 || a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== inFeatures || b.shape[0] !== out || b.shape[1] !== rank) {
      throw new AppError(
        'E_LORA_INVALID',
        `LoRA ${lora.path} does not fit ${tensor.name} of ${ref.path}: A is [${a.shape.join(', ')}], B is [${b.shape.join(', ')}], the weight is [${tensor.shape.join(', ')}].`,
        { context: { model: lora.path, tensor: tensor.name }, hint: 'Use the adapter that was trained on this base model.' },
      );
    }
    const key = inputKey(lora);
    return {
      kind: 'lora',
      weight: read,
      a: readExpr(key, a),
      b: readExpr(key, b),
      scale: adapter.config.scale,
      fanInFanOut: adapter.config.fanInFanOut,
      dtype: tensor.dtype as FloatDType,
    };
  }

  /** t of a tensor in a `models:` stage: j/(L−1) for layer j of L, 0 for tensors outside the layer stack. */
  private position(stageIndex: number, tensorName: string): number {
    const layer = layerIndex(tensorName);
    if (layer === undefined) return NON_LAYER_POSITION;
    return layerPosition(layer, layerCount(this.donorModel(stageIndex)));
  }

  private extraFiles(final: MergeStage, donor: Model): PlannedFile[] {
    const files: PlannedFile[] = [];
    const config = { ...(donor.config ?? {}) };
    const outDtype = final.outDtype ?? final.dtype;
    if (outDtype !== undefined) config['torch_dtype'] = outDtype;
    files.push({ name: 'config.json', kind: 'text', text: `${JSON.stringify(config, null, 2)}\n` });
    const tokenizerModel = final.tokenizer?.source.kind === 'model' ? this.model(final.tokenizer.source.model) : donor;
    const tokenizerKey = final.tokenizer?.source.kind === 'model' ? inputKey(final.tokenizer.source.model) : this.donorKey();
    for (const path of tokenizerModel.tokenizerFiles) {
      const size = tokenizerModel.files.find((f) => f.path === path)?.size ?? 0;
      files.push({ name: path, kind: 'copy', input: tokenizerKey, path, bytes: size });
    }
    files.push({ name: 'mergekit_config.yml', kind: 'text', text: this.input.recipeText });
    files.push({
      name: 'README.md',
      kind: 'text',
      text: modelCard({ recipe: this.input.recipe, recipeText: this.input.recipeText, models: this.input.models, outputName: this.input.outputName ?? 'merged-model' }),
    });
    return files;
  }

  private donorKey(): string {
    const donor = this.donorModel(this.input.recipe.final);
    for (const [key, model] of this.input.models) if (model === donor) return key;
    return donor.ref;
  }
}

/** Compiles a recipe against loaded model headers. Throws typed errors for everything that would fail later. */
export function compilePlan(input: CompileInput): MergePlan {
  return new Compiler(input).compile();
}

function sameRef(a: ModelRef, b: ModelRef): boolean {
  return formatModelRef(a) === formatModelRef(b);
}

function stageDtype(stage: MergeStage, inputDtype: DType): FloatDType {
  const torch = stage.outDtype ?? stage.dtype;
  return torch === undefined ? (inputDtype as FloatDType) : TORCH_TO_DTYPE[torch];
}

function toParam(value: number | boolean | string, name: string, tensor: string): ParamValue {
  if (typeof value === 'string') {
    throw new AppError('E_RECIPE_INVALID', `Parameter ${name} is ${JSON.stringify(value)} for tensor ${tensor}; it must be a number.`, {
      context: { tensor },
      hint: `Give ${name} a number (or true/false).`,
    });
  }
  return value;
}

/** A tensor, or its tied twin (`lm_head.weight` ↔ `model.embed_tokens.weight`, mergekit-spec §5.4). */
function findTensor(model: Model, name: string): ModelTensor {
  const tensor = model.tensors.get(name) ?? (name === 'lm_head.weight' ? model.tensors.get('model.embed_tokens.weight') : undefined);
  if (tensor === undefined) {
    throw new AppError('E_TENSOR_MISSING', `Tensor ${name} is required but not present in ${model.ref}.`, {
      context: { model: model.ref, tensor: name },
      hint: 'Merge models of the same architecture (same tensor names).',
    });
  }
  return tensor;
}

function readExpr(input: string, tensor: ModelTensor): ReadExpr {
  return { kind: 'read', input, tensor: tensor.name, file: tensor.file, offset: tensor.offset, length: tensor.length, dtype: tensor.dtype, shape: tensor.shape };
}

/** The layer index in names such as `model.layers.12.mlp.up_proj.weight` (`h.12.` for GPT-2), or undefined. */
export function layerIndex(name: string): number | undefined {
  const match = /(?:^|\.)(?:layers|h|blocks)\.(\d+)\./.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** Number of layers: config's num_hidden_layers (or n_layer), else counted from tensor names. */
export function layerCount(model: Model): number {
  const configured = model.config?.['num_hidden_layers'] ?? model.config?.['n_layer'];
  if (typeof configured === 'number' && configured > 0) return configured;
  let max = -1;
  for (const name of model.tensors.keys()) max = Math.max(max, layerIndex(name) ?? -1);
  return max + 1;
}

/** Every read below an expression (each counted once per occurrence). */
export function reads(expr: TensorExpr): ReadExpr[] {
  if (expr.kind === 'read') return [expr];
  if (expr.kind === 'lora') return [...reads(expr.weight), expr.a, expr.b];
  return expr.inputs.flatMap(reads);
}

/** Working memory of one tensor: f32 chunks of every read, every merge node's output, plus the encoded output. */
function peakBytes(tensor: PlannedTensor): number {
  const chunk = Math.min(numel(tensor.shape), ENGINE_CHUNK_ELEMENTS);
  const count = (expr: TensorExpr): number => (expr.kind === 'read' ? 1 : expr.kind === 'lora' ? 3 + count(expr.weight) : 1 + expr.inputs.reduce((s, e) => s + count(e), 0));
  return chunk * 4 * (count(tensor.expr) + 1);
}

