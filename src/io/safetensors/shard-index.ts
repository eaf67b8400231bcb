import { AppError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import type { ByteSource } from '../source/byte-source';
import type { ShardIndex } from './types';

export const INDEX_FILE = 'model.safetensors.index.json';

/** huggingface.js streams indexes up to 250 MB; a 70B model's index is about 100 kB. */
export const MAX_INDEX_BYTES = 250 * 1000 * 1000;

/** Reads and validates a shard index (`model.safetensors.index.json`). */
export async function readShardIndex(
  source: ByteSource,
  options: { readonly maxBytes?: number; readonly signal?: AbortSignal } = {},
): Promise<ShardIndex> {
  const maxBytes = options.maxBytes ?? MAX_INDEX_BYTES;
  if (source.size > maxBytes) {
    throw indexError(source.name, `is ${source.size} bytes; the limit for a shard index is ${maxBytes} bytes`);
  }
  return parseShardIndex(await source.read(0, source.size, options.signal), source.name);
}

/**
 * Validates index JSON: a `weight_map` of tensor name to shard file name, and an optional `metadata` object. Shard
 * names must be plain `.safetensors` file names in the same folder: a path could make a reader open files outside
 * the model (or, on the Hub, another repo's files).
 */
export function parseShardIndex(bytes: Uint8Array, fileName: string): ShardIndex {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw indexError(fileName, 'is not valid JSON', cause);
  }
  if (!isPlainObject(value)) throw indexError(fileName, 'is not a JSON object');
  const { weight_map: weightMap, metadata = {} } = value;
  if (!isPlainObject(metadata)) throw indexError(fileName, 'has a `metadata` entry that is not an object');
  if (!isPlainObject(weightMap)) throw indexError(fileName, 'has no `weight_map` object');
  const map = new Map<string, string>();
  const shards: string[] = [];
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string') {
      throw indexError(fileName, `maps tensor ${tensor} to ${JSON.stringify(shard)}, not a file name`);
    }
    if (!isSafeShardName(shard)) {
      throw indexError(
        fileName,
        `maps tensor ${tensor} to ${JSON.stringify(shard)}: shard names must be plain .safetensors file names in the same folder`,
      );
    }
    if (!map.has(shard) && !shards.includes(shard)) shards.push(shard);
    map.set(tensor, shard);
  }
  if (shards.length === 0) throw indexError(fileName, 'lists no tensors in its `weight_map`');
  return { metadata, weightMap: map, shards };
}

/** A plain file name: no separators, no dot segments, no percent-encoding, ends in `.safetensors`. */
export function isSafeShardName(name: string): boolean {
  return (
    /^[^/\\%:]+\.safetensors$/.test(name) && !name.startsWith('.') && name.length <= 255 && !name.includes('..')
  );
}

function indexError(fileName: string, what: string, cause?: unknown): AppError {
  return new AppError('E_INDEX_INVALID', `${fileName} ${what}.`, {
    context: { file: fileName },
    hint: 'The shard index is damaged: download or export the model again.',
    cause,
  });
}
