/**
 * The user's recipe: mergekit YAML as typed data. Everything mergekit reads is kept, so a recipe exports back to the
 * same YAML; positions live beside the data (in {@link RecipeDocument.positions}) so two recipes compare by value.
 */

/** A model: a Hub repo id or a local path, optionally at a revision, optionally with a LoRA adapter baked in. */
export interface ModelRef {
  readonly path: string;
  readonly revision?: string;
  readonly lora?: { readonly path: string; readonly revision?: string };
  readonly overrideArchitecture?: string;
}

export type Scalar = number | boolean | string;

/** `{filter, value}`: applies to tensors whose name contains `filter` (absent or `*`: all). */
export interface ConditionalEntry {
  readonly filter?: string;
  readonly value: Scalar | readonly Scalar[];
}

/**
 * A parameter's value: a scalar, a gradient (numbers spread over the layers; non-numbers step), or a list of
 * conditional entries tried in order (mergekit-spec §1.5).
 */
export type ParameterSetting = Scalar | readonly Scalar[] | readonly ConditionalEntry[];

export type Parameters = Readonly<Record<string, ParameterSetting>>;

export interface InputModel {
  readonly model: ModelRef;
  readonly parameters: Parameters;
}

export interface SliceSource {
  readonly model: ModelRef;
  /** Half-open `[start, end)`; absent means the whole model. */
  readonly layerRange?: readonly [number, number];
  readonly parameters: Parameters;
}

export interface Slice {
  readonly sources: readonly SliceSource[];
  readonly parameters: Parameters;
  readonly baseModel?: ModelRef;
}

export type TorchDType = 'float32' | 'float16' | 'bfloat16';

export type TokenizerSource = { readonly kind: 'base' } | { readonly kind: 'union' } | { readonly kind: 'model'; readonly model: ModelRef };

export interface ModuleRecipe {
  readonly models?: readonly InputModel[];
  readonly slices?: readonly Slice[];
  readonly parameters: Parameters;
}

/** One merge: a whole single-document recipe, or one stage of a multi-document (mergekit-multi) recipe. */
export interface MergeStage {
  /** Stage name (multi-document recipes); other stages refer to it as a model. */
  readonly name?: string;
  readonly mergeMethod: string;
  readonly baseModel?: ModelRef;
  /** Exactly one of `models`, `slices` and `modules` is set. */
  readonly models?: readonly InputModel[];
  readonly slices?: readonly Slice[];
  /** Multi-module architectures (VLMs: `text_decoder`, `vision_tower`, …), each with its own models or slices. */
  readonly modules?: Readonly<Record<string, ModuleRecipe>>;
  readonly parameters: Parameters;
  readonly dtype?: TorchDType;
  readonly outDtype?: TorchDType;
  readonly tokenizer?: { readonly source: TokenizerSource; readonly padToMultipleOf?: number };
  /** `tokenizer_source:` (legacy) or `tokenizer:` — kept so export writes what the user wrote. */
  readonly tokenizerKey?: 'tokenizer_source' | 'tokenizer';
  readonly chatTemplate?: string;
}

export interface RecipePosition {
  readonly line: number;
  readonly column: number;
}

export interface RecipeWarning extends RecipePosition {
  readonly message: string;
}

export interface RecipeDocument {
  /** Stages in document order. */
  readonly stages: readonly MergeStage[];
  /** Index into `stages` of the final merge: the unnamed stage, else the last one. */
  readonly final: number;
  /** Stage indexes in dependency order (every stage after the stages it uses). */
  readonly order: readonly number[];
  /** Where things are in the text, by path such as `0/models/1/model` (stage index first). */
  readonly positions: Readonly<Record<string, RecipePosition>>;
  /** Things that work here but that mergekit would read differently. */
  readonly warnings: readonly RecipeWarning[];
}
