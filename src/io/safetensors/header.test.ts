import { describe, expect, it } from 'vitest';

import { AppError } from '../../shared/errors';
import type { ErrorCode } from '../../shared/errors';
import { MemorySource } from '../source/memory-source';
import { readHeader } from './header';
import { encodeHeader } from './layout';

/** A safetensors file whose header JSON is given verbatim (for malformed cases) followed by `dataBytes` zero bytes. */
function rawFile(header: unknown, dataBytes: number, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(declaredLength ?? json.byteLength), true);
  bytes.set(json, 8);
  return bytes;
}

async function failure(bytes: Uint8Array, options?: { maxHeaderBytes: number }): Promise<AppError> {
  try {
    await readHeader(new MemorySource('bad.safetensors', bytes), options);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected readHeader to fail');
}

async function expectFailure(bytes: Uint8Array, code: ErrorCode, mentions: RegExp, options?: { maxHeaderBytes: number }) {
  const error = await failure(bytes, options);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(/^bad\.safetensors /);
  expect(error.message).toMatch(mentions);
  expect(error.context.file).toBe('bad.safetensors');
  expect(error.hint).toBeTruthy();
}

const t = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('readHeader', () => {
  it('reads what encodeHeader wrote: names, dtypes, shapes, offsets, metadata', async () => {
    const entries = [
      { name: 'a', dtype: 'BF16' as const, shape: [3, 5] },
      { name: 'b', dtype: 'F32' as const, shape: [] },
      { name: 'c', dtype: 'I8' as const, shape: [0, 4] },
      { name: 'd', dtype: 'F16' as const, shape: [7] },
    ];
    const header = encodeHeader(entries, { format: 'pt', note: 'x' });
    expect(header.bytes.byteLength % 8).toBe(0);
    const file = new Uint8Array(header.bytes.byteLength + header.dataBytes);
    file.set(header.bytes);
    const parsed = await readHeader(new MemorySource('m.safetensors', file));
    expect(parsed.dataOffset).toBe(header.bytes.byteLength);
    expect(parsed.metadata).toEqual({ format: 'pt', note: 'x' });
    expect(parsed.tensors).toEqual(header.tensors);
    expect(parsed.tensors.map((x) => [x.name, x.end - x.begin])).toEqual([['a', 30], ['b', 4], ['c', 0], ['d', 14]]);
  });

  it('accepts a header right-padded with spaces and a file with no tensors', async () => {
    const padded = rawFile('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}   ', 2);
    expect((await readHeader(new MemorySource('p', padded))).tensors).toHaveLength(1);
    expect((await readHeader(new MemorySource('e', rawFile('{}', 0)))).tensors).toEqual([]);
  });

  it('rejects a truncated file', async () => {
    await expectFailure(new Uint8Array(5), 'E_TRUNCATED', /too short/);
    const file = rawFile({ a: t('F32', [4], 0, 16) }, 16);
    await expectFailure(file.subarray(0, file.byteLength - 3), 'E_BAD_OFFSETS', /tensor a .*past the end/);
  });

  it('rejects a header length beyond the file', async () => {
    await expectFailure(rawFile('{}', 0, 4096), 'E_TRUNCATED', /4096 byte header/);
  });

  it('rejects a header length over the cap before reading it', async () => {
    await expectFailure(rawFile('{}', 0, 2 ** 40), 'E_HEADER_TOO_LARGE', /limit/);
    await expectFailure(rawFile('{"a":{}}', 0), 'E_HEADER_TOO_LARGE', /limit is 4 bytes/, { maxHeaderBytes: 4 });
  });

  it('rejects a header that is not JSON, not UTF-8 or not an object', async () => {
    await expectFailure(rawFile('{"a": oops}', 0), 'E_HEADER_NOT_JSON', /not valid JSON/);
    await expectFailure(rawFile('[1, 2]', 0), 'E_HEADER_NOT_JSON', /does not start with/);
    const bytes = rawFile('{"a":1}', 0);
    bytes[10] = 0xff;
    await expectFailure(bytes, 'E_HEADER_NOT_JSON', /UTF-8/);
  });

  it('rejects overlapping, gapped and out-of-file offsets, naming the tensors', async () => {
    await expectFailure(rawFile({ a: t('F32', [2], 0, 8), b: t('F32', [2], 4, 12) }, 12), 'E_BAD_OFFSETS', /a and b overlap/);
    await expectFailure(rawFile({ a: t('F32', [2], 0, 8), b: t('F32', [2], 12, 20) }, 20), 'E_BAD_OFFSETS', /bytes 8\.\.12 before tensor b/);
    await expectFailure(rawFile({ a: t('F32', [2], 0, 8) }, 4), 'E_BAD_OFFSETS', /tensor a ends at data byte 8, past the end/);
    await expectFailure(rawFile({ a: t('F32', [2], 0, 8) }, 12), 'E_BAD_OFFSETS', /last 4 bytes/);
    await expectFailure(rawFile({ a: t('F32', [2], 8, 0) }, 8), 'E_BAD_OFFSETS', /end before they begin/);
  });

  it('rejects sizes that do not match dtype × elements', async () => {
    const error = await failure(rawFile({ w: t('BF16', [2, 3], 0, 10) }, 10));
    expect(error.code).toBe('E_BAD_OFFSETS');
    expect(error.message).toMatch(/tensor w: .*hold 10 bytes but BF16 \[2,3\] needs 12/);
    expect(error.context.tensor).toBe('w');
  });

  it('rejects unknown dtypes, bad shapes and malformed entries', async () => {
    await expectFailure(rawFile({ w: t('Q4_K', [2], 0, 1) }, 1), 'E_UNKNOWN_DTYPE', /tensor w: unknown dtype "Q4_K"/);
    await expectFailure(rawFile({ w: t('F32', [-1], 0, 0) }, 0), 'E_BAD_SHAPE', /not a list of non-negative integers/);
    await expectFailure(rawFile({ w: t('F32', [1.5], 0, 0) }, 0), 'E_BAD_SHAPE', /tensor w/);
    await expectFailure(rawFile({ w: { dtype: 'F32', shape: [1] } }, 4), 'E_HEADER_INVALID', /missing data_offsets/);
    await expectFailure(rawFile({ w: { ...t('F32', [1], 0, 4), extra: 1 } }, 4), 'E_HEADER_INVALID', /unexpected extra/);
    await expectFailure(rawFile({ __metadata__: { a: 1 } }, 0), 'E_HEADER_INVALID', /__metadata__/);
  });
});
