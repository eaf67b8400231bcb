import type { DType, FloatDType } from '../io/safetensors/dtype';

/**
 * A merge plan: everything the executor needs, computed before any weight moves, as plain serialisable data.
 * The UI and the CLI read sizes, shard layout, peak memory and the resolved per-layer parameters off it.
 */
export interface MergePlan {
  readonly version: 1;
  /** Every input model the plan reads, by key (`InputRef.key`). */
  readonly inputs: readonly PlanInput[];
  /** Output tensors in write order: shard by shard, header order within a shard. */
  readonly tensors: readonly PlannedTensor[];
  readonly shards: readonly PlannedShard[];
  /** Small files written next to the shards (config.json, tokenizer files, README.md, mergekit_config.yml). */
  readonly extraFiles: readonly PlannedFile[];
  /** What the user should know before running (vocabulary crops, config fields left alone). */
  readonly warnings: readonly string[];
  readonly summary: PlanSummary;
}

export interface PlanInput {
  /** Stable key used by {@link TensorExpr} reads: the model reference in its canonical string form. */
  readonly key: string;
  readonly ref: string;
  readonly revision: string | undefined;
  readonly kind: 'hub' | 'local';
}

export interface PlannedShard {
  readonly file: string;
  /** Names of the tensors in this shard, in header order. */
  readonly tensors: readonly string[];
  /** Bytes of the whole file (8-byte prefix + header + data). */
  readonly bytes: number;
}

export type PlannedFile =
  | { readonly name: string; readonly kind: 'text'; readonly text: string }
  | {
      readonly name: string;
      readonly kind: 'copy';
      readonly input: string;
      readonly path: string;
      readonly bytes: number;
      /** Keys set in the copied JSON file (e.g. the recipe's chat_template in tokenizer_config.json). */
      readonly jsonPatch?: Readonly<Record<string, unknown>>;
    };

/** How one output tensor is computed: an expression tree over reads of input tensors. */
export interface PlannedTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly shard: number;
  readonly expr: TensorExpr;
}

export type TensorExpr = ReadExpr | LoraExpr | MergeExpr;

/** Bytes of one input tensor. */
export interface ReadExpr {
  readonly kind: 'read';
  readonly input: string;
  readonly tensor: string;
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** `W + scale · B·A` (PEFT LoRA baked into an input weight), rounded to `dtype`. */
export interface LoraExpr {
  readonly kind: 'lora';
  readonly weight: TensorExpr;
  readonly a: ReadExpr;
  readonly b: ReadExpr;
  readonly scale: number;
  /** The adapter was trained with `fan_in_fan_out` (weights stored [in, out]): the delta is (B·A)ᵀ. */
  readonly fanInFanOut: boolean;
  readonly dtype: FloatDType;
}

export type ParamValue = number | boolean;

/** One merge-method application; nested merges are the stages of a multi-document recipe. */
export interface MergeExpr {
  readonly kind: 'merge';
  readonly method: string;
  /** The stage it belongs to (for progress and errors); `undefined` for the final stage of a one-stage recipe. */
  readonly stage: string | undefined;
  readonly inputs: readonly TensorExpr[];
  /** Index into `inputs` of the base model, when the method has one. */
  readonly baseIndex: number | undefined;
  /** Resolved global parameters for this tensor. */
  readonly globals: Readonly<Record<string, ParamValue>>;
  /** Resolved per-model parameters, one record per input. */
  readonly perModel: readonly Readonly<Record<string, ParamValue>>[];
  /** The stage's result is rounded to this dtype, as if it had been written to disk and read back. */
  readonly dtype: FloatDType;
  readonly seed: number;
}

export interface PlanSummary {
  readonly tensorCount: number;
  readonly shardCount: number;
  /** Bytes of all output files (shards and extra files). */
  readonly outputBytes: number;
  /** Bytes read from inputs: each distinct input range once per output tensor, however many stages read it. */
  readonly inputBytes: number;
  /** The run's expected peak resident memory (runtime, tensors in flight, reused buffers), bytes: `plan/memory.ts`. */
  readonly peakMemoryBytes: number;
}
