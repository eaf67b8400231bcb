import { AppError } from '../../shared/errors';
import { dtypeAlignment, numel, tensorByteSize } from './dtype';
import type { DType } from './dtype';
import type { TensorInfo } from './types';

/** An output tensor before its bytes exist: the plan knows all of these up front. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** A header ready to write: the 8-byte length, the JSON padded with spaces to a multiple of 8, and the offsets. */
export interface EncodedHeader {
  readonly bytes: Uint8Array;
  /** Tensors in data order with offsets relative to the data section. */
  readonly tensors: readonly TensorInfo[];
  /** Sum of tensor bytes. */
  readonly dataBytes: number;
}

export interface PlannedShardFile {
  readonly file: string;
  readonly header: EncodedHeader;
  /** Whole file size: header bytes plus data bytes. */
  readonly bytes: number;
}

export interface ShardPlan {
  readonly shards: readonly PlannedShardFile[];
  /** Sum of all tensor bytes (the index's `total_size`). */
  readonly totalSize: number;
  /** `model.safetensors.index.json` content when there is more than one shard. */
  readonly index: Uint8Array | undefined;
}

/** mergekit's default `--out-shard-size` (5B = 5·10^9 bytes). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/** The header metadata mergekit (through `safetensors.torch.save_file`) writes. */
export const DEFAULT_SHARD_METADATA: Readonly<Record<string, string>> = { format: 'pt' };

export function entryBytes(entry: TensorEntry): number {
  const bytes = tensorByteSize(entry.dtype, numel(entry.shape));
  if (bytes === undefined) {
    throw new AppError('E_UNSUPPORTED', `Tensor ${entry.name} (${entry.dtype}) is not a whole number of bytes.`, {
      context: { tensor: entry.name },
    });
  }
  return bytes;
}

/**
 * The order the reference writer (`safetensors.torch.save_file`) uses: dtype alignment descending, then name. With
 * an 8-aligned data section every tensor then starts at a multiple of its element size.
 */
export function orderLikeReference<T extends TensorEntry>(entries: readonly T[]): T[] {
  return [...entries].sort(
    (a, b) => dtypeAlignment(b.dtype) - dtypeAlignment(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** Encodes a header for `entries` in the given order (`__metadata__` first), padded so the data starts 8-aligned. */
export function encodeHeader(entries: readonly TensorEntry[], metadata: Readonly<Record<string, string>>): EncodedHeader {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) json['__metadata__'] = metadata;
  const tensors: TensorInfo[] = [];
  let at = 0;
  for (const entry of entries) {
    if (entry.name === '__metadata__' || Object.hasOwn(json, entry.name)) {
      throw new AppError('E_INTERNAL', `Tensor name ${entry.name} appears twice in one shard.`, { context: { tensor: entry.name } });
    }
    const end = at + entryBytes(entry);
    json[entry.name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [at, end] };
    tensors.push({ name: entry.name, dtype: entry.dtype, shape: entry.shape, begin: at, end });
    at = end;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8 + text.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(text, 8);
  return { bytes, tensors, dataBytes: at };
}

/**
 * Splits output tensors (in production order) into shards the way mergekit does (mergekit-spec §6.1): a tensor joins
 * the current shard unless the shard is non-empty and would exceed `maxShardBytes`; a tensor is never split, so one
 * tensor larger than the limit gets a shard of its own. One shard is `model.safetensors` with no index; k shards are
 * `model-0000i-of-0000k.safetensors` plus `model.safetensors.index.json`.
 */
export function planShards(
  entries: readonly TensorEntry[],
  maxShardBytes: number = DEFAULT_MAX_SHARD_BYTES,
  options: { readonly metadata?: Readonly<Record<string, string>>; readonly indexMetadata?: Readonly<Record<string, unknown>> } = {},
): ShardPlan {
  const groups: TensorEntry[][] = [];
  let current: TensorEntry[] = [];
  let currentBytes = 0;
  let totalSize = 0;
  for (const entry of entries) {
    const bytes = entryBytes(entry);
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
    totalSize += bytes;
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);

  const metadata = options.metadata ?? DEFAULT_SHARD_METADATA;
  const shards = groups.map((group, i): PlannedShardFile => {
    const header = encodeHeader(orderLikeReference(group), metadata);
    return { file: shardFileName(i, groups.length), header, bytes: header.bytes.byteLength + header.dataBytes };
  });
  const index =
    shards.length > 1 ? encodeIndex(shards, totalSize, options.indexMetadata ?? {}) : undefined;
  return { shards, totalSize, index };
}

export function shardFileName(i: number, count: number): string {
  if (count === 1) return 'model.safetensors';
  const pad = (n: number) => String(n).padStart(5, '0');
  return `model-${pad(i + 1)}-of-${pad(count)}.safetensors`;
}

/** `model.safetensors.index.json` for these shards: `total_size` (plus `extra` metadata) and the weight map. */
export function encodeIndex(
  shards: readonly PlannedShardFile[],
  totalSize: number,
  extra: Readonly<Record<string, unknown>>,
): Uint8Array {
  const weightMap: Record<string, string> = {};
  for (const shard of shards) for (const tensor of shard.header.tensors) weightMap[tensor.name] = shard.file;
  return new TextEncoder().encode(
    `${JSON.stringify({ metadata: { total_size: totalSize, ...extra }, weight_map: weightMap }, null, 2)}\n`,
  );
}

