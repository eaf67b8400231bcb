/**
 * Where a stage's output tensors come from: each stage normalised to slices (mergekit-spec §1.3), its output tensor
 * names in order, and for each output tensor the slice, the position t and the input tensor names it reads. Nested
 * stages are resolved by name.
 */
import { AppError } from '../shared/errors';
import type { Model } from '../io/model/types';
import { formatModelRef, stageNameOf } from '../recipe/model-ref';
import { NON_LAYER_POSITION, layerPosition } from '../recipe/settings';
import type { InputModel, MergeStage, ModelRef, Parameters, RecipeDocument, Slice } from '../recipe/types';
import type { ArchitectureView } from './architectures';
import { architectureOf, layerCountOf } from './architectures';
import { inputKey, sameRef } from './references';

export interface StageInput {
  readonly ref: ModelRef;
  readonly parameters: Parameters;
  readonly isBase: boolean;
  /** Half-open source layer range. */
  readonly range: readonly [number, number];
}

/** One output slice of a stage (mergekit's normalised form: `models:` is one slice over every layer). */
export interface StageSlice {
  readonly sources: readonly StageInput[];
  readonly parameters: Parameters | undefined;
  /** Layers in the slice, and the output index of its first. */
  readonly length: number;
  readonly outStart: number;
}

export interface StageLayout {
  readonly slices: readonly StageSlice[];
  readonly layers: number;
  /** `slices:` rewrite the layer count in config.json; `models:` leave it as the donor's. */
  readonly fromSlices: boolean;
  readonly moduleParameters: Parameters | undefined;
  readonly arch: ArchitectureView;
}

/** Where one output tensor of a stage comes from. */
export interface TensorLocation {
  readonly slice: StageSlice;
  /** Position of the layer in its slice (0 to 1), or {@link NON_LAYER_POSITION}. */
  readonly t: number;
  /** Each source's input tensor name. */
  readonly sourceName: (source: StageInput) => string;
}

/** The stages of one recipe, laid out against the loaded models (cached per stage). */
export class StageLayouts {
  private readonly stageIndex = new Map<string, number>();
  private readonly layouts = new Map<number, StageLayout>();

  constructor(
    private readonly recipe: RecipeDocument,
    private readonly models: ReadonlyMap<string, Model>,
  ) {
    recipe.stages.forEach((stage, i) => {
      if (stage.name !== undefined) this.stageIndex.set(stage.name, i);
    });
  }

  /**
   * A stage normalised to slices (mergekit-spec §1.3): `models:` is one slice over every layer with the base appended
   * when it is not listed; `slices:` are taken as written, each with its sources' layer ranges checked against the
   * models; a single module is read like the stage itself.
   */
  layout(stageIndex: number): StageLayout {
    const cached = this.layouts.get(stageIndex);
    if (cached !== undefined) return cached;
    const stage = this.recipe.stages[stageIndex] as MergeStage;
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
        const length = sameLength(sources, `slice ${s + 1} of ${where}`);
        const result: StageSlice = { sources, parameters: slice.parameters, length, outStart };
        outStart += length;
        return result;
      });
    } else {
      const models = body.models ?? [];
      const listed = models.map((m) => ({ ref: m.model, parameters: m.parameters, isBase: stage.baseModel !== undefined && sameRef(m.model, stage.baseModel) }));
      if (stage.baseModel !== undefined && !listed.some((m) => m.isBase)) listed.push({ ref: stage.baseModel, parameters: {}, isBase: true });
      const sources = listed.map((m) => ({ ...m, range: [0, this.layersOf(m.ref)] as const }));
      slices = [{ sources, parameters: undefined, length: sameLength(sources, where), outStart: 0 }];
    }
    if (slices.length === 0 || slices[0]?.sources.length === 0) throw new AppError('E_RECIPE_INVALID', `${where} has no models.`);
    const last = slices.at(-1) as StageSlice;
    const layout: StageLayout = {
      slices,
      layers: last.outStart + last.length,
      fromSlices: body.slices !== undefined,
      moduleParameters: module?.parameters,
      arch: this.archOf(referenceSource(slices[0] as StageSlice).ref),
    };
    this.layouts.set(stageIndex, layout);
    return layout;
  }

  /**
   * A stage's output tensors in the reference models' order: pre weights of the first slice, each slice's layers
   * renumbered consecutively, post weights of the last slice.
   */
  outputNames(stageIndex: number): string[] {
    const layout = this.layout(stageIndex);
    const arch = layout.arch;
    const first = layout.slices[0] as StageSlice;
    const last = layout.slices.at(-1) as StageSlice;
    const outside = (slice: StageSlice, side: 'pre' | 'post') => this.namesOf(referenceSource(slice).ref).filter((n) => arch.layerIndex(n) === undefined && arch.side(n) === side);
    const names = [...outside(first, 'pre')];
    for (const slice of layout.slices) {
      const ref = referenceSource(slice);
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
  donorModel(stageIndex: number): Model {
    const ref = referenceSource(this.layout(stageIndex).slices[0] as StageSlice).ref;
    const nested = this.nestedStage(ref);
    return nested === undefined ? this.model(ref) : this.donorModel(nested);
  }

  /** The key the final stage's donor model was loaded under. */
  donorKey(): string {
    const donor = this.donorModel(this.recipe.final);
    for (const [key, model] of this.models) if (model === donor) return key;
    return donor.ref;
  }

  /** The stage a reference names, when it names one (no revision; a LoRA on it is baked into the stage's output). */
  nestedStage(ref: ModelRef): number | undefined {
    const name = stageNameOf(ref, this.stageIndex);
    return name === undefined ? undefined : this.stageIndex.get(name);
  }

  model(ref: ModelRef): Model {
    const model = this.models.get(inputKey(ref));
    if (model === undefined) throw new AppError('E_INTERNAL', `Model ${formatModelRef(ref)} was not loaded before planning.`);
    return model;
  }

  /** Which slice an output tensor comes from, its position t, and each source's input tensor name. */
  locate(layout: StageLayout, outputName: string): TensorLocation {
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
}

/** A slice's reference source: its base, else its first source. */
function referenceSource(slice: StageSlice): StageInput {
  return slice.sources.find((s) => s.isBase) ?? (slice.sources[0] as StageInput);
}

/** Every source of a slice must span the same number of layers (mergekit refuses otherwise). */
function sameLength(sources: readonly StageInput[], where: string): number {
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
