/**
 * A mock Hub file's bytes: an array, or a sparse file — a real prefix (a safetensors header) followed by zeros up to
 * its size, never held in memory — so the mock Hub can serve 70B-shaped repos to ranged reads.
 */
import { createHash } from 'node:crypto';

export interface SparseBytes {
  readonly kind: 'sparse';
  readonly prefix: Uint8Array;
  readonly byteLength: number;
}

export type MockBytes = Uint8Array | SparseBytes;

function isSparse(bytes: MockBytes): bytes is SparseBytes {
  return !(bytes instanceof Uint8Array);
}

/** Bytes `[start, end)`, zeros past a sparse file's prefix. */
export function bytesRange(bytes: MockBytes, start: number, end: number): Uint8Array {
  if (!isSparse(bytes)) return bytes.subarray(start, end);
  const out = new Uint8Array(end - start);
  if (start < bytes.prefix.byteLength) out.set(bytes.prefix.subarray(start, Math.min(end, bytes.prefix.byteLength)));
  return out;
}

/** A content hash (a sparse file's stands in from its prefix and size). */
export function bytesDigest(bytes: MockBytes, algorithm: 'sha1' | 'sha256'): string {
  const hash = createHash(algorithm);
  if (isSparse(bytes)) hash.update(bytes.prefix).update(`sparse:${bytes.byteLength}`);
  else hash.update(bytes);
  return hash.digest('hex');
}

/** The whole file as an array: only for small files (JSON), undefined for a sparse one. */
export function wholeBytes(bytes: MockBytes | undefined): Uint8Array | undefined {
  return bytes === undefined || isSparse(bytes) ? undefined : bytes;
}
