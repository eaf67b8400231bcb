import { sha256Hex } from '../../shared/digest';
import { AppError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import type { ErrorCode } from '../../shared/errors';
import type { ByteSource } from '../source/byte-source';
import { isDType, numel, tensorByteSize } from './dtype';
import type { SafetensorsHeader, TensorInfo } from './types';

/**
 * The Rust reference parser caps headers at 100,000,000 bytes (`MAX_HEADER_SIZE`); huggingface.js uses 25 MB for
 * remote files. Real 70B headers are about 100 kB, so 100 MiB only guards against garbage lengths.
 */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const METADATA_KEY = '__metadata__';
const TENSOR_KEYS = ['dtype', 'shape', 'data_offsets'] as const;

export interface ReadHeaderOptions {
  readonly maxHeaderBytes?: number;
  readonly signal?: AbortSignal;
  /** Also hash the header bytes as they are read ({@link SafetensorsHeader.digest}), so nobody reads them again for it. */
  readonly digest?: boolean;
}

/**
 * Reads and validates a safetensors header: the 8-byte little-endian length, then that many bytes of JSON.
 * Only the header is read; tensor bytes are untouched.
 */
export async function readHeader(source: ByteSource, options: ReadHeaderOptions = {}): Promise<SafetensorsHeader> {
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  if (source.size < 8) {
    throw headerError('E_TRUNCATED', source.name, `is ${source.size} bytes long, too short for a safetensors file`);
  }
  const prefix = await source.read(0, 8, options.signal);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(maxHeaderBytes)) {
    throw headerError(
      'E_HEADER_TOO_LARGE',
      source.name,
      `declares a ${length} byte header; the limit is ${maxHeaderBytes} bytes, so this is not a valid safetensors file`,
    );
  }
  const headerLength = Number(length);
  if (8 + headerLength > source.size) {
    throw headerError(
      'E_TRUNCATED',
      source.name,
      `declares a ${headerLength} byte header but the file has only ${source.size - 8} bytes after the length`,
    );
  }
  const json = await source.read(8, headerLength, options.signal);
  const header = parseHeader(json, source.size, source.name);
  if (options.digest !== true) return header;
  const bytes = new Uint8Array(8 + headerLength);
  bytes.set(prefix);
  bytes.set(json, 8);
  return { ...header, digest: await sha256Hex(bytes) };
}

/**
 * Validates header JSON (the bytes after the 8-byte length) against the rules of the reference parser: known dtypes,
 * non-negative integer shapes, byte sizes equal to dtype × element count, and tensors that tile the data section
 * exactly (no holes, no overlaps, nothing past the end of the file).
 *
 * Duplicate JSON keys cannot be detected after `JSON.parse` (the last one wins); the tiling check still rejects
 * a duplicate whose bytes would otherwise go unaccounted for.
 */
export function parseHeader(json: Uint8Array, fileSize: number, fileName: string): SafetensorsHeader {
  const headerLength = json.byteLength;
  const dataOffset = 8 + headerLength;
  const parsed = parseJsonObject(json, fileName);
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, fileName);
      continue;
    }
    tensors.push(parseTensor(name, value, fileName));
  }
  checkTiling(tensors, fileSize - dataOffset, fileName);
  return { headerLength, dataOffset, tensors, metadata };
}

function parseJsonObject(json: Uint8Array, fileName: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch (cause) {
    throw headerError('E_HEADER_NOT_JSON', fileName, 'has a header that is not valid UTF-8', cause);
  }
  if (!text.startsWith('{')) {
    throw headerError('E_HEADER_NOT_JSON', fileName, 'has a header that does not start with "{"');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw headerError('E_HEADER_NOT_JSON', fileName, `has a header that is not valid JSON (${reason})`, cause);
  }
  if (!isPlainObject(value)) {
    throw headerError('E_HEADER_NOT_JSON', fileName, 'has a header that is not a JSON object');
  }
  return value;
}

function parseMetadata(value: unknown, fileName: string): Record<string, string> {
  if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw headerError('E_HEADER_INVALID', fileName, 'has a `__metadata__` entry that is not a map of strings to strings');
  }
  return value as Record<string, string>;
}

function parseTensor(name: string, value: unknown, fileName: string): TensorInfo {
  const fail = (code: ErrorCode, what: string): AppError => headerError(code, fileName, `tensor ${name}: ${what}`, undefined, name);
  if (!isPlainObject(value)) throw fail('E_HEADER_INVALID', 'the entry is not an object');
  const keys = Object.keys(value);
  const unexpected = keys.filter((key) => !(TENSOR_KEYS as readonly string[]).includes(key));
  const missing = TENSOR_KEYS.filter((key) => !(key in value));
  if (unexpected.length > 0 || missing.length > 0) {
    const parts = [
      missing.length > 0 ? `missing ${missing.join(', ')}` : '',
      unexpected.length > 0 ? `unexpected ${unexpected.join(', ')}` : '',
    ].filter(Boolean);
    throw fail('E_HEADER_INVALID', `${parts.join('; ')} (expected dtype, shape, data_offsets)`);
  }
  const { dtype, shape, data_offsets: offsets } = value as { dtype: unknown; shape: unknown; data_offsets: unknown };
  if (typeof dtype !== 'string' || !isDType(dtype)) {
    throw fail('E_UNKNOWN_DTYPE', `unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw fail('E_BAD_SHAPE', `shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const dims = shape as number[];
  const count = numel(dims);
  if (!Number.isSafeInteger(count)) throw fail('E_BAD_SHAPE', `shape ${JSON.stringify(shape)} has too many elements`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
  ) {
    throw fail('E_BAD_OFFSETS', `data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail('E_BAD_OFFSETS', `data_offsets [${begin}, ${end}] end before they begin`);
  const expected = tensorByteSize(dtype, count);
  if (expected === undefined) {
    throw fail('E_BAD_SHAPE', `${count} elements of ${dtype} are not a whole number of bytes`);
  }
  if (end - begin !== expected) {
    throw fail(
      'E_BAD_OFFSETS',
      `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ${JSON.stringify(dims)} needs ${expected}`,
    );
  }
  return { name, dtype, shape: dims, begin, end };
}

/** Sorted by offset, tensors must cover `[0, dataSize)` exactly: the reference parser's `MetadataIncompleteBuffer`. */
function checkTiling(tensors: readonly TensorInfo[], dataSize: number, fileName: string): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: TensorInfo | undefined;
  for (const tensor of sorted) {
    if (tensor.begin < at) {
      throw headerError(
        'E_BAD_OFFSETS',
        fileName,
        `tensors ${previous?.name ?? '?'} and ${tensor.name} overlap (bytes ${tensor.begin}..${at})`,
        undefined,
        tensor.name,
      );
    }
    if (tensor.begin > at) {
      throw headerError(
        'E_BAD_OFFSETS',
        fileName,
        `bytes ${at}..${tensor.begin} before tensor ${tensor.name} belong to no tensor`,
        undefined,
        tensor.name,
      );
    }
    at = tensor.end;
    previous = tensor;
  }
  if (at > dataSize) {
    throw headerError(
      'E_BAD_OFFSETS',
      fileName,
      `tensor ${previous?.name ?? '?'} ends at data byte ${at}, past the end of the file (${Math.max(0, dataSize)} data bytes)`,
      undefined,
      previous?.name,
    );
  }
  if (at < dataSize) {
    throw headerError('E_BAD_OFFSETS', fileName, `the last ${dataSize - at} bytes of the file belong to no tensor`);
  }
}

/** The fix named for a weight file that is not readable safetensors (the studio words it for Hub files). */
export const DAMAGED_FILE_HINT = 'The file is damaged or not a safetensors file: download or export it again.';

function headerError(code: ErrorCode, fileName: string, what: string, cause?: unknown, tensor?: string): AppError {
  return new AppError(code, `${fileName} ${what}.`, {
    context: tensor === undefined ? { file: fileName } : { file: fileName, tensor },
    hint: DAMAGED_FILE_HINT,
    cause,
  });
}
