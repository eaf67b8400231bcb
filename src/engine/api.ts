/**
 * The engine's typed events: what a run reports to the UI (through the worker) and the CLI. Plain data only, so they
 * cross `postMessage` unchanged.
 */
import type { ErrorPayload } from '../shared/errors';
import type { GgufOutputType } from '../io/gguf/types';

export type EngineEvent =
  | { readonly type: 'start'; readonly tensorCount: number; readonly bytesTotal: number; readonly resumedShards: readonly string[] }
  | { readonly type: 'tensor'; readonly name: string; readonly index: number; readonly shard: string }
  | {
      readonly type: 'progress';
      readonly tensorsDone: number;
      readonly tensorCount: number;
      /** Output tensor bytes written so far (the unit of the ETA). */
      readonly bytesDone: number;
      readonly bytesTotal: number;
      readonly bytesPerSecond: number;
      readonly etaSeconds: number | undefined;
    }
  | { readonly type: 'shard-written'; readonly file: string }
  | { readonly type: 'finalizing' }
  | { readonly type: 'done'; readonly files: readonly string[]; readonly seconds: number };

export type EngineEventListener = (event: EngineEvent) => void;

// ---------------------------------------------------------------------------------------------------------------------
// The worker contract. Everything below crosses `postMessage` (structured clone): plain data, `File`s and
// `FileSystemDirectoryHandle`s. Errors cross as {@link ErrorPayload}s inside an {@link EngineResult}, never as thrown
// `Error`s (whose code, context and hint a structured clone would drop).

/** How to reach the Hub: the token is sent to the endpoint's origin only, and never appears in errors or logs. */
export interface HubAccess {
  readonly endpoint: string;
  readonly token?: string | undefined;
}

/** Where a model (or LoRA adapter) is read from. */
export type SourceSpec =
  | { readonly kind: 'hub'; readonly repo: string; readonly revision?: string | undefined }
  /** A folder the user picked or dropped. */
  | { readonly kind: 'directory'; readonly handle: FileSystemDirectoryHandle }
  /** Files of an `<input webkitdirectory>`, a drop without a folder, or the bundled demo (fetched whole). */
  | { readonly kind: 'files'; readonly name: string; readonly files: readonly File[] };

/** What the studio shows about a model before any weight moves: headers and config only. */
export interface ModelSummary {
  readonly ref: string;
  readonly kind: 'hub' | 'local';
  /** Hub: the pinned commit sha. */
  readonly revision: string | undefined;
  /** `LlamaForCausalLM`, or `undefined` without a config.json (LoRA adapters). */
  readonly architecture: string | undefined;
  readonly modelType: string | undefined;
  /** Transformer blocks: `num_hidden_layers`, else counted from tensor names. */
  readonly layers: number;
  readonly params: number;
  /** The float dtype holding most of the weights (`mixed` never: the largest share wins). */
  readonly dtype: string;
  /** Bytes of the weight files. */
  readonly weightBytes: number;
  readonly tensorCount: number;
  readonly shardCount: number;
  /** A PEFT LoRA adapter rather than a full model. */
  readonly isAdapter: boolean;
}

/** The user's choices for the output folder, on top of the recipe. */
export interface OutputOptions {
  /** The folder's name (model card heading). */
  readonly name: string;
  /** Overrides the recipe's output dtype (`out_dtype`). */
  readonly dtype?: 'float32' | 'float16' | 'bfloat16' | undefined;
  /** Largest shard in bytes (mergekit's `--out-shard-size`). */
  readonly maxShardBytes?: number | undefined;
  readonly seed?: number | undefined;
  /** Safetensors shards (default), a GGUF file for llama.cpp instead, or both in the same pass. */
  readonly format?: OutputFormat | undefined;
  /** Type of the GGUF's 2-D weights (default f16). */
  readonly ggufType?: GgufOutputType | undefined;
  /** GGUF files above this size are split into gguf-split parts. */
  readonly ggufSplitBytes?: number | undefined;
}

export type OutputFormat = 'safetensors' | 'gguf' | 'both';

export interface PlanRequest {
  readonly recipeText: string;
  /** Sources by model path as written in the recipe; a path not listed here is a Hub repo id. */
  readonly sources: Readonly<Record<string, SourceSpec>>;
  readonly hub: HubAccess;
  readonly output: OutputOptions;
}

/** The plan as the run panel shows it before the user commits. */
export interface PlanOverview {
  readonly tensorCount: number;
  readonly shardCount: number;
  readonly outputBytes: number;
  readonly inputBytes: number;
  readonly peakMemoryBytes: number;
  /** A rough duration on the CPU backend, from the bytes read and written. */
  readonly estimatedSeconds: number;
  readonly shards: readonly { readonly file: string; readonly bytes: number }[];
  /** Every output tensor in write order with its bytes (for per-tensor progress). */
  readonly tensors: readonly { readonly name: string; readonly bytes: number }[];
  /** Files written beside the shards (config, tokenizer, card, recipe). */
  readonly extraFiles: readonly string[];
  /** Inputs with the revision each one is pinned to. */
  readonly inputs: readonly { readonly ref: string; readonly revision: string | undefined; readonly kind: 'hub' | 'local' }[];
  /** LoRA adapters baked into inputs, by reference. */
  readonly adapters: readonly string[];
  /** The plan's content id: a resume reuses shards only of the very same plan. */
  readonly planId: string;
  /** The GGUF export's files, when the format asks for one. */
  readonly gguf?: { readonly type: GgufOutputType; readonly files: readonly { readonly file: string; readonly bytes: number }[] } | undefined;
}

export interface RunRequest extends PlanRequest {
  /** Names the run, for {@link EngineApi.cancel}. */
  readonly runId: string;
  readonly directory: FileSystemDirectoryHandle;
  /** Keep the shards an interrupted run of the same plan finished in `directory`. */
  readonly resume: boolean;
  /** Write into a folder that holds other files (they are replaced or left beside the model). */
  readonly allowOverwrite?: boolean;
}

export interface RunOutcome {
  /** Every file in the output folder with its size, sorted by name. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  readonly seconds: number;
  readonly resumedShards: readonly string[];
  /** What computed the merge ("CPU"). */
  readonly backend: string;
}

/** What is already in an output folder: nothing, an unfinished merge (resumable), or other files. */
export interface OutputFolderState {
  readonly name: string;
  readonly files: readonly string[];
  readonly unfinished: boolean;
  /** Shards an interrupted run finished (kept by a resume of the same plan). */
  readonly finishedShards: readonly string[];
}

export type EngineResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorPayload };

/** Called with the events of a run in batches (a few per second), in order. */
export type EngineEventBatchListener = (events: readonly EngineEvent[]) => void;

/** The API the engine worker exposes (comlink). Use it through `engine/client.ts`, which turns results into throws. */
export interface EngineApi {
  inspect(source: SourceSpec, hub: HubAccess): Promise<EngineResult<ModelSummary>>;
  plan(request: PlanRequest): Promise<EngineResult<PlanOverview>>;
  inspectOutput(directory: FileSystemDirectoryHandle): Promise<EngineResult<OutputFolderState>>;
  run(request: RunRequest, onEvents: EngineEventBatchListener): Promise<EngineResult<RunOutcome>>;
  /** Stops a run between chunks; its promise then settles with `E_CANCELLED`. Unknown ids are ignored. */
  cancel(runId: string): Promise<void>;
}
