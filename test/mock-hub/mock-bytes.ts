/**
 * A mock Hub file's bytes: an array, a sparse file — a real prefix (a safetensors header) followed by zeros up to
 * its size, never held in memory — so the mock Hub can serve 70B-shaped repos to ranged reads, or a generated file,
 * whose every range is computed when it is read (deterministic random weights of a 1B-shaped model, never stored).
 */
import { createHash } from 'node:crypto';

export interface SparseBytes {
  readonly kind: 'sparse';
  readonly prefix: Uint8Array;
  readonly byteLength: number;
}

export interface GeneratedBytes {
  readonly kind: 'generated';
  readonly byteLength: number;
  /** Names the content in digests (ETag, commit): whatever the bytes are a function of. */
  readonly key: string;
  /** Bytes `[start, end)`. */
  readonly read: (start: number, end: number) => Uint8Array;
}

export type MockBytes = Uint8Array | SparseBytes | GeneratedBytes;

/** A file whose bytes are not held: a sparse or a generated one. */
function notHeld(bytes: MockBytes): bytes is SparseBytes | GeneratedBytes {
  return !(bytes instanceof Uint8Array);
}

/** Bytes `[start, end)`, zeros past a sparse file's prefix, computed for a generated file. */
export function bytesRange(bytes: MockBytes, start: number, end: number): Uint8Array {
  if (!notHeld(bytes)) return bytes.subarray(start, end);
  if (bytes.kind === 'generated') return bytes.read(start, end);
  const out = new Uint8Array(end - start);
  if (start < bytes.prefix.byteLength) out.set(bytes.prefix.subarray(start, Math.min(end, bytes.prefix.byteLength)));
  return out;
}

/** A content hash (a sparse file's stands in from its prefix and size, a generated one's from its key and size). */
export function bytesDigest(bytes: MockBytes, algorithm: 'sha1' | 'sha256'): string {
  const hash = createHash(algorithm);
  if (!notHeld(bytes)) hash.update(bytes);
  else if (bytes.kind === 'generated') hash.update(`generated:${bytes.key}:${bytes.byteLength}`);
  else hash.update(bytes.prefix).update(`sparse:${bytes.byteLength}`);
  return hash.digest('hex');
}

/** The whole file as an array: only for small files (JSON), undefined for a sparse or generated one. */
export function wholeBytes(bytes: MockBytes | undefined): Uint8Array | undefined {
  return bytes === undefined || notHeld(bytes) ? undefined : bytes;
}
