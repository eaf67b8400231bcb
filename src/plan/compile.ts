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
import type { InputModel, MergeStage, ModelRef, Parameters, RecipeDocument, Slice, TorchDType } from '../recipe/types';
import type { ArchitectureView } from './architectures';
import { architectureClass, architectureOf, configValue, inferLayerIndex, layerCountOf } from './architectures';
import { resolveChatTemplate } from './chat-templates';
import { loraShapeProblem, loraTensorNames } from './lora';
import type { LoadedAdapter } from './lora';
import { planPeakBytes } from './memory';
import { modelCard } from './model-card';
import { inputBytesOf } from './reads';
import type { MergeExpr, MergePlan, ParamValue, PlannedFile, PlannedTensor, ReadExpr, TensorExpr } from './types';

export type { LoadedAdapter } from './lora';

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

export { ENGINE_CHUNK_ELEMENTS } from './memory';

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
  const bodies = [stage, ...Object.values(stage.modules ?? {})];
  const refs = [
    ...(stage.baseModel === undefined ? [] : [stage.baseModel]),
    ...bodies.flatMap((body) => [
      ...(body.models ?? []).map((m) => m.model),
      ...(body.slices ?? []).flatMap((slice) => [...(slice.baseModel === undefined ? [] : [slice.baseModel]), ...slice.sources.map((x) => x.model)]),
    ]),
  ];
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
  /** Half-open source layer range. */
  readonly range: readonly [number, number];
}

/** One output slice of a stage (mergekit's normalised form: `models:` is one slice over every layer). */
interface StageSlice {
  readonly sources: readonly StageInput[];
  readonly parameters: Parameters | undefined;
  /** Layers in the slice, and the output index of its first. */
  readonly length: number;
  readonly outStart: number;
}

interface StageLayout {
  readonly slices: readonly StageSlice[];
  readonly layers: number;
  /** `slices:` rewrite the layer count in config.json; `models:` leave it as the donor's. */
  readonly fromSlices: boolean;
  readonly moduleParameters: Parameters | undefined;
  readonly arch: ArchitectureView;
}

/** Methods that crop every input's embedding to the common rows, and the family that crops to the base (spec §4.1). */
const CROP_TO_COMMON = new Set(['linear', 'slerp', 'nuslerp', 'model_stock']);
const CROP_TO_BASE = new Set(['task_arithmetic', 'ties', 'dare_ties', 'dare_linear', 'breadcrumbs', 'breadcrumbs_ties', 'della', 'della_linear']);

/**
 * How a method treats embeddings of different vocabulary sizes (mergekit-spec §4.1): `common` keeps the rows every
 * model has, `base` keeps the base's rows (another model may not have fewer), `none` cannot merge them.
 */
export function vocabularyHandling(methodId: string): 'common' | 'base' | 'none' {
  return CROP_TO_COMMON.has(methodId) ? 'common' : CROP_TO_BASE.has(methodId) ? 'base' : 'none';
}

class Compiler {
  private readonly stageIndex = new Map<string, number>();
  private readonly layouts = new Map<number, StageLayout>();
  private readonly warnings: string[] = [];

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
    for (const name of this.outputNames(recipe.final)) {
      const { expr, dtype, shape } = this.stageTensor(recipe.final, name);
      produced.push({ name, dtype, shape, expr });
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
    const extraFiles = this.extraFiles(final, donor, produced);
    const inputBytes = tensors.reduce((sum, t) => sum + inputBytesOf(t.expr), 0);
    const shardBytes = shardPlan.shards.reduce((sum, s) => sum + s.bytes, 0);
    const extraBytes = extraFiles.reduce((sum, f) => sum + (f.kind === 'text' ? new TextEncoder().encode(f.text).byteLength : f.bytes), 0);
    return {
      version: 1,
      inputs: [...this.input.models.entries()].map(([key, model]) => ({ key, ref: model.ref, revision: model.revision, kind: model.folder.kind })),
      tensors,
      shards: shardPlan.shards.map((s) => ({ file: s.file, tensors: s.header.tensors.map((t) => t.name), bytes: s.bytes })),
      extraFiles,
      warnings: [...this.warnings],
      summary: {
        tensorCount: tensors.length,
        shardCount: shardPlan.shards.length,
        outputBytes: shardBytes + extraBytes + (shardPlan.index?.byteLength ?? 0),
        inputBytes,
        peakMemoryBytes: planPeakBytes(tensors),
      },
    };
  }

  /** Models of different architectures are refused (mergekit's `--allow-crimes` is not offered). */
  private checkArchitectures(donor: Model): void {
    const expected = architectureClass(donor);
    for (const model of this.input.models.values()) {
      const found = architectureClass(model);
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
    const modules = Object.keys(stage.modules ?? {});
    if (modules.length > 1) {
      throw new AppError('E_UNSUPPORTED', `${where} has ${modules.length} modules (${modules.join(', ')}); multi-module (vision-language) architectures are not supported yet.`, {
        hint: 'Merge the text model alone, with models: or slices:.',
      });
    }
    if (stage.tokenizer?.source.kind === 'union') {
      throw new AppError('E_UNSUPPORTED', `${where} asks for a union tokenizer, which is not supported yet.`, {
        hint: 'Use tokenizer_source: base, or a model reference.',
      });
    }
  }

  /**
   * A stage normalised to slices (mergekit-spec §1.3): `models:` is one slice over every layer with the base appended
   * when it is not listed; `slices:` are taken as written, each with its sources' layer ranges checked against the
   * models; a single module is read like the stage itself.
   */
  private layout(stageIndex: number): StageLayout {
    const cached = this.layouts.get(stageIndex);
    if (cached !== undefined) return cached;
    const stage = this.input.recipe.stages[stageIndex] as MergeStage;
    const where = stage.name === undefined ? 'the recipe' : `stage ${stage.name}`;
    const module = Object.values(stage.modules ?? {})[0];
    const body: { models?: readonly InputModel[] | undefined; slices?: readonly Slice[] | undefined } = module ?? stage;
    let slices: StageSlice[];
    if (body.slices !== undefined) {
      let outStart = 0;
      slices = body.slices.map((slice, s) => {
        const base = slice.baseModel ?? stage.baseModel;
        const sources = slice.sources.map((source) => {
          const layers = this.layersOf(source.model);
          const range = source.layerRange ?? ([0, layers] as const);
          if (range[0] < 0 || range[1] > layers || range[0] >= range[1]) {
            throw new AppError('E_RECIPE_INVALID', `Slice ${s + 1} of ${where}: layer_range [${range[0]}, ${range[1]}] is outside ${formatModelRef(source.model)}, which has ${layers} layers (0 to ${layers - 1}).`, {
              context: { model: formatModelRef(source.model) },
              hint: `layer_range is half-open: [a, b] takes layers a to b − 1, with b at most ${layers}.`,
            });
          }
          return { ref: source.model, parameters: source.parameters, isBase: base !== undefined && sameRef(source.model, base), range };
        });
        const length = this.sameLength(sources, `slice ${s + 1} of ${where}`);
        const result: StageSlice = { sources, parameters: slice.parameters, length, outStart };
        outStart += length;
        return result;
      });
    } else {
      const models = body.models ?? [];
      const listed = models.map((m) => ({ ref: m.model, parameters: m.parameters, isBase: stage.baseModel !== undefined && sameRef(m.model, stage.baseModel) }));
      if (stage.baseModel !== undefined && !listed.some((m) => m.isBase)) listed.push({ ref: stage.baseModel, parameters: {}, isBase: true });
      const sources = listed.map((m) => ({ ...m, range: [0, this.layersOf(m.ref)] as const }));
      slices = [{ sources, parameters: undefined, length: this.sameLength(sources, where), outStart: 0 }];
    }
    if (slices.length === 0 || slices[0]?.sources.length === 0) throw new AppError('E_RECIPE_INVALID', `${where} has no models.`);
    const last = slices.at(-1) as StageSlice;
    const layout: StageLayout = {
      slices,
      layers: last.outStart + last.length,
      fromSlices: body.slices !== undefined,
      moduleParameters: module?.parameters,
      arch: this.archOf(reference(slices[0] as StageSlice).ref),
    };
    this.layouts.set(stageIndex, layout);
    return layout;
  }

  /** Every source of a slice must span the same number of layers (mergekit refuses otherwise). */
  private sameLength(sources: readonly StageInput[], where: string): number {
    const first = sources[0];
    if (first === undefined) return 0;
    const length = first.range[1] - first.range[0];
    for (const source of sources) {
      if (source.range[1] - source.range[0] !== length) {
        throw new AppError(
          'E_SHAPE_MISMATCH',
          `In ${where}, ${formatModelRef(source.ref)} contributes ${source.range[1] - source.range[0]} layers but ${formatModelRef(first.ref)} contributes ${length}.`,
          { context: { model: formatModelRef(source.ref) }, hint: 'Every model of a merge needs the same number of layers; use slices: with layer_range to line them up.' },
        );
      }
    }
    return length;
  }

  private layersOf(ref: ModelRef): number {
    const nested = this.nestedStage(ref);
    return nested === undefined ? layerCountOf(this.model(ref)) : this.layout(nested).layers;
  }

  private archOf(ref: ModelRef): ArchitectureView {
    const nested = this.nestedStage(ref);
    return nested === undefined ? architectureOf(this.model(ref)) : this.layout(nested).arch;
  }

  /** Tensor names of a model or of a stage's output. */
  private namesOf(ref: ModelRef): readonly string[] {
    const nested = this.nestedStage(ref);
    return nested === undefined ? [...this.model(ref).tensors.keys()] : this.outputNames(nested);
  }

  /**
   * A stage's output tensors in the reference models' order: pre weights of the first slice, each slice's layers
   * renumbered consecutively, post weights of the last slice.
   */
  private outputNames(stageIndex: number): string[] {
    const layout = this.layout(stageIndex);
    const arch = layout.arch;
    const first = layout.slices[0] as StageSlice;
    const last = layout.slices.at(-1) as StageSlice;
    const outside = (slice: StageSlice, side: 'pre' | 'post') => this.namesOf(reference(slice).ref).filter((n) => arch.layerIndex(n) === undefined && arch.side(n) === side);
    const names = [...outside(first, 'pre')];
    for (const slice of layout.slices) {
      const ref = reference(slice);
      const byLayer = new Map<number, string[]>();
      for (const name of this.namesOf(ref.ref)) {
        const layer = arch.layerIndex(name);
        if (layer !== undefined) byLayer.set(layer, [...(byLayer.get(layer) ?? []), name]);
      }
      for (let j = 0; j < slice.length; j++) {
        for (const name of byLayer.get(ref.range[0] + j) ?? []) names.push(arch.withLayer(name, slice.outStart + j));
      }
    }
    names.push(...outside(last, 'post'));
    return names;
  }

  /** The model whose config (and tensor list) the stage's output takes: its first slice's base, else its first source. */
  private donorModel(stageIndex: number): Model {
    const ref = reference(this.layout(stageIndex).slices[0] as StageSlice).ref;
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

  /** Which slice an output tensor comes from, its position t, and each source's input tensor name. */
  private locate(layout: StageLayout, outputName: string): { slice: StageSlice; t: number; sourceName: (source: StageInput) => string } {
    const layer = layout.arch.layerIndex(outputName);
    if (layer === undefined) {
      const slice = (layout.arch.side(outputName) === 'post' ? layout.slices.at(-1) : layout.slices[0]) as StageSlice;
      return { slice, t: NON_LAYER_POSITION, sourceName: () => outputName };
    }
    const slice = layout.slices.find((s) => layer >= s.outStart && layer < s.outStart + s.length);
    if (slice === undefined) throw new AppError('E_INTERNAL', `Output layer ${layer} of ${outputName} is in no slice.`);
    const j = layer - slice.outStart;
    return { slice, t: layerPosition(j, slice.length), sourceName: (source) => layout.arch.withLayer(outputName, source.range[0] + j) };
  }

  /** One tensor of one stage's output: a merge of its inputs' tensors (or a copy, for integer tensors). */
  private stageTensor(stageIndex: number, tensorName: string): { expr: TensorExpr; dtype: DType; shape: readonly number[] } {
    const stage = this.input.recipe.stages[stageIndex] as MergeStage;
    const method = getMethod(stage.mergeMethod) as MethodSpec;
    const layout = this.layout(stageIndex);
    const { slice, t, sourceName } = this.locate(layout, tensorName);
    const inputs = slice.sources;
    let sources = inputs.map((input) => ({ input, name: sourceName(input), ...this.sourceTensor(input.ref, sourceName(input)) }));
    const baseIndex = inputs.findIndex((i) => i.isBase);
    sources = this.rectifyEmbeddings(method, layout.arch, tensorName, sources, baseIndex);
    const reference = sources[baseIndex >= 0 ? baseIndex : 0] as (typeof sources)[number];
    for (const source of sources) {
      if (source.shape.join() !== reference.shape.join()) {
        throw new AppError(
          'E_SHAPE_MISMATCH',
          `Tensor ${tensorName} is [${source.shape.join(', ')}] in ${formatModelRef(source.input.ref)} but [${reference.shape.join(', ')}] in ${formatModelRef(reference.input.ref)}.`,
          {
            context: { tensor: tensorName, model: formatModelRef(source.input.ref) },
            hint: layout.arch.isEmbedding(tensorName) && source.shape.length === 2 && source.shape[1] === reference.shape[1]
              ? `The models have different vocabulary sizes, which ${method.id} cannot merge (mergekit crops embeddings only for linear, slerp, nuslerp, model_stock and the task-vector family).`
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
    if (method.id === 'passthrough' && sources.length === 1 && dtype === reference.dtype && [sources[0]?.input.parameters, slice.parameters, layout.moduleParameters, stage.parameters].every((p) => p?.['scale'] === undefined)) {
      // Layer stacking: the tensor is copied as it is (byte for byte, no decode).
      return { expr: reference.expr, dtype, shape: reference.shape };
    }
    const model = (i: StageInput) => formatModelRef(i.ref);
    const levels = { slice: slice.parameters, module: layout.moduleParameters, global: stage.parameters };
    const globals: Record<string, ParamValue> = {};
    for (const param of method.params.filter((p) => p.scope === 'global')) {
      const value = resolveParameter(param, levels, { tensor: tensorName, t });
      if (value !== undefined) globals[param.name] = toParam(value, param.name, tensorName);
    }
    const perModel = sources.map((source) => {
      const values: Record<string, ParamValue> = {};
      for (const param of method.params.filter((p) => p.scope === 'model')) {
        // Per-model parameters match filters against the model's own tensor name (spec §1.4).
        const value = resolveParameter(param, { ...levels, source: source.input.parameters }, { tensor: source.name, t, model: model(source.input), isBase: source.input.isBase && method.base !== 'none' });
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

  /**
   * Embeddings of different vocabulary sizes, as mergekit handles them without a tokenizer option (spec §4.1):
   * linear/slerp/nuslerp/model_stock keep the rows every model has; the task-vector family keeps the base's rows and
   * fails when another model has fewer. Other methods, and other tensors, are left to the shape check.
   */
  private rectifyEmbeddings<T extends { input: StageInput; expr: TensorExpr; shape: readonly number[] }>(
    method: MethodSpec,
    arch: ArchitectureView,
    tensorName: string,
    sources: T[],
    baseIndex: number,
  ): T[] {
    if (!arch.isEmbedding(tensorName) || sources.every((s) => s.shape.join() === (sources[0] as T).shape.join())) return sources;
    if (sources.some((s) => s.shape.length !== 2 || s.shape[1] !== (sources[0] as T).shape[1])) return sources;
    let rows: number;
    const handling = vocabularyHandling(method.id);
    if (handling === 'common') rows = Math.min(...sources.map((s) => s.shape[0] as number));
    else if (handling === 'base' && baseIndex >= 0) {
      const base = sources[baseIndex] as T;
      rows = base.shape[0] as number;
      const short = sources.find((s) => (s.shape[0] as number) < rows);
      if (short !== undefined) {
        throw new AppError('E_SHAPE_MISMATCH', `${formatModelRef(short.input.ref)} has ${short.shape[0]} rows in ${tensorName}, fewer than the base ${formatModelRef(base.input.ref)} (${rows}).`, {
          context: { tensor: tensorName, model: formatModelRef(short.input.ref) },
          hint: `${method.id} keeps the base's vocabulary; every other model needs at least as many tokens. Use a model with the smaller vocabulary as the base.`,
        });
      }
    } else return sources;
    const sizes = [...new Set(sources.map((s) => s.shape[0]))].join(' and ');
    this.warnings.push(`${tensorName}: the models have ${sizes} rows (different vocabularies); the merge keeps the first ${rows}, as mergekit does.`);
    return sources.map((s) => ({ ...s, expr: cropRows(s.expr, rows, tensorName), shape: [rows, s.shape[1] as number] }));
  }

  /** The expression for `tensorName` of one input: a nested stage, a read, or a read with a LoRA baked in. */
  private sourceTensor(ref: ModelRef, tensorName: string): { expr: TensorExpr; dtype: DType; shape: readonly number[] } {
    const nested = this.nestedStage(ref);
    if (nested !== undefined) return this.stageTensor(nested, tensorName);
    const model = this.model(ref);
    const tensor = findTensor(model, tensorName, architectureOf(model));
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
    const problem = loraShapeProblem(tensor, a.shape, b.shape, adapter.config.fanInFanOut, { lora: lora.path, model: ref.path });
    if (problem !== undefined) {
      throw new AppError('E_LORA_INVALID', problem, { context: { model: lora.path, tensor: tensor.name }, hint: 'Use the adapter that was trained on this base model.' });
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

  private extraFiles(final: MergeStage, donor: Model, produced: readonly { name: string; shape: readonly number[] }[]): PlannedFile[] {
    const files: PlannedFile[] = [];
    const config: Record<string, unknown> = structuredClone({ ...(donor.config ?? {}) });
    const outDtype = final.outDtype ?? final.dtype;
    if (outDtype !== undefined) config['torch_dtype'] = outDtype;
    const layout = this.layout(this.input.recipe.final);
    const layers = layout.layers;
    if (layers !== layerCountOf(donor) || layout.fromSlices) {
      if (layout.arch.layerCountKey === undefined) {
        this.warnings.push(`The output has ${layers} layers, but the architecture is not known, so config.json's layer count is left as the donor's (as mergekit does): check it before loading the model.`);
      } else setConfigValue(config, layout.arch.layerCountKey, layers);
    }
    const embedding = produced.find((t) => layout.arch.isEmbedding(t.name));
    const vocab = configValue(config, layout.arch.vocabSizeKey);
    if (embedding !== undefined && typeof vocab === 'number' && embedding.shape[0] !== vocab) {
      setConfigValue(config, layout.arch.vocabSizeKey, embedding.shape[0]);
      this.warnings.push(`config.json's ${layout.arch.vocabSizeKey} is set to ${embedding.shape[0]}, the rows of the merged embeddings (the donor says ${vocab}); the tokenizer is the donor's.`);
    }
    files.push({ name: 'config.json', kind: 'text', text: `${JSON.stringify(config, null, 2)}\n` });
    const tokenizerModel = final.tokenizer?.source.kind === 'model' ? this.model(final.tokenizer.source.model) : donor;
    const tokenizerKey = final.tokenizer?.source.kind === 'model' ? inputKey(final.tokenizer.source.model) : this.donorKey();
    const chatTemplate = final.chatTemplate === undefined ? undefined : resolveChatTemplate(final.chatTemplate);
    for (const path of tokenizerModel.tokenizerFiles) {
      const size = tokenizerModel.files.find((f) => f.path === path)?.size ?? 0;
      const patch = chatTemplate !== undefined && path === 'tokenizer_config.json' ? { jsonPatch: { chat_template: chatTemplate } } : {};
      files.push({ name: path, kind: 'copy', input: tokenizerKey, path, bytes: size + (chatTemplate?.length ?? 0), ...patch });
    }
    if (chatTemplate !== undefined && !tokenizerModel.tokenizerFiles.includes('tokenizer_config.json')) {
      files.push({ name: 'tokenizer_config.json', kind: 'text', text: `${JSON.stringify({ chat_template: chatTemplate }, null, 2)}\n` });
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

/** A tensor, or its tied twin (`lm_head.weight` ↔ the input embeddings, mergekit-spec §5.4). */
function findTensor(model: Model, name: string, arch: ArchitectureView): ModelTensor {
  const tensor = model.tensors.get(name) ?? arch.tiedTwins(name).map((twin) => model.tensors.get(twin)).find((t) => t !== undefined);
  if (tensor === undefined) {
    throw new AppError('E_TENSOR_MISSING', `Tensor ${name} is required but not present in ${model.ref}.`, {
      context: { model: model.ref, tensor: name },
      hint: 'Merge models of the same architecture (same tensor names).',
    });
  }
  return tensor;
}

/** The first slice's reference source: its base, else its first source. */
function reference(slice: StageSlice): StageInput {
  return slice.sources.find((s) => s.isBase) ?? (slice.sources[0] as StageInput);
}

function setConfigValue(config: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = config;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null) return;
    target = next as Record<string, unknown>;
  }
  target[keys.at(-1) as string] = value;
}

/** The first `rows` rows of a row-major matrix expression (a prefix of its elements). */
function cropRows(expr: TensorExpr, rows: number, tensorName: string): TensorExpr {
  if (expr.kind === 'read') {
    const columns = expr.shape[1] as number;
    return { ...expr, shape: [rows, columns], length: (expr.length / numel(expr.shape)) * rows * columns };
  }
  if (expr.kind === 'lora') return { ...expr, weight: cropRows(expr.weight, rows, tensorName) };
  throw new AppError('E_UNSUPPORTED', `${tensorName} of stage ${expr.stage ?? ''} would need its vocabulary cropped after the stage, which is not supported.`, {
    context: { tensor: tensorName },
    hint: 'Merge models with the same vocabulary in nested stages.',
  });
}

function readExpr(input: string, tensor: ModelTensor): ReadExpr {
  return { kind: 'read', input, tensor: tensor.name, file: tensor.file, offset: tensor.offset, length: tensor.length, dtype: tensor.dtype, shape: tensor.shape };
}

/** The layer index of a tensor name, inferred from its first `.<digits>.` component (mergekit-spec §5.3). */
export function layerIndex(name: string): number | undefined {
  return inferLayerIndex(name);
}

/** Number of layers of a model (its family's config key, else counted from tensor names). */
export function layerCount(model: Model): number {
  return layerCountOf(model);
}
