import type { ByteSource } from '../source/byte-source';
import type { SafetensorsHeader, ShardIndex, TensorInfo } from '../safetensors/types';

/** One file of a model folder. `path` is relative to the folder, with `/` separators. */
export interface ModelFileEntry {
  readonly path: string;
  readonly size: number;
  /** Local files: last modification time (ms since the epoch), when known. Part of a run's input fingerprint. */
  readonly modified?: number;
}

/**
 * A folder of model files wherever it lives: a local directory (Node), a dropped folder or picked directory
 * handle (browser), or a Hub repo at a pinned revision.
 */
export interface ModelFolder {
  /** How the user refers to it: `owner/name` (Hub) or the folder's name or path (local). */
  readonly ref: string;
  /** Hub: the commit sha every read is pinned to. Local: undefined. */
  readonly revision: string | undefined;
  readonly kind: 'hub' | 'local';
  listFiles(): Promise<readonly ModelFileEntry[]>;
  /** Rejects with `E_FILE_MISSING` when the file is not in the folder. Repeated opens may share one source. */
  open(path: string): Promise<ByteSource>;
  /** Releases open files (Node file handles); the folder may be opened again afterwards. */
  close(): Promise<void>;
}

/** A tensor of a model: its header entry plus where its bytes are. */
export interface ModelTensor extends TensorInfo {
  /** Weight file (shard) that holds it. */
  readonly file: string;
  /** Absolute byte offset of the first byte inside `file`. */
  readonly offset: number;
  /** Byte length (`end - begin`). */
  readonly length: number;
}

/** What a merge needs to know about an input model, read from headers and small JSON files only. */
export interface Model {
  readonly ref: string;
  readonly revision: string | undefined;
  readonly folder: ModelFolder;
  readonly files: readonly ModelFileEntry[];
  /** Parsed `config.json`, or undefined when the folder has none. */
  readonly config: Readonly<Record<string, unknown>> | undefined;
  /** Tokenizer and generation files present in the folder (copied to the output as mergekit does). */
  readonly tokenizerFiles: readonly string[];
  /** Weight files in order (one `model.safetensors`, or the shards named by the index). */
  readonly weightFiles: readonly string[];
  /** The shard index, when the model is sharded. */
  readonly index: ShardIndex | undefined;
  readonly headers: ReadonlyMap<string, SafetensorsHeader>;
  /** Every tensor by name, in weight-file then header order. */
  readonly tensors: ReadonlyMap<string, ModelTensor>;
}
