import type { DType } from './dtype';

/** One tensor entry of a safetensors header, validated. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Start of the tensor's bytes, relative to the start of the data section. */
  readonly begin: number;
  /** End (exclusive), relative to the start of the data section. */
  readonly end: number;
}

/** A parsed, validated safetensors file header. */
export interface SafetensorsHeader {
  /** The N of the 8-byte little-endian length prefix. */
  readonly headerLength: number;
  /** Absolute file offset of the data section: `8 + headerLength`. */
  readonly dataOffset: number;
  /** Tensors in header (JSON key) order. */
  readonly tensors: readonly TensorInfo[];
  /** `__metadata__` (string to string), empty when absent. */
  readonly metadata: Readonly<Record<string, string>>;
  /** SHA-256 (hex) of the 8-byte length and the header JSON, when the reader was asked for it (the model loader: a run's fingerprint). */
  readonly digest?: string;
}

/** A validated `model.safetensors.index.json`. */
export interface ShardIndex {
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Tensor name to shard file name, in file order. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** Distinct shard file names in order of first appearance. */
  readonly shards: readonly string[];
}
