import { MemorySource } from '../source/memory-source';
import { localFolder, normalisePath } from './folder-files';
import type { ModelFolder } from './types';

/** A model folder held in memory (tests, and files fetched whole). */
export function memoryFolder(ref: string, files: ReadonlyMap<string, Uint8Array>): ModelFolder {
  const entries = new Map([...files].map(([path, bytes]) => [normalisePath(path), { size: bytes.byteLength, item: bytes }]));
  return localFolder(ref, entries, (bytes, path) => Promise.resolve(new MemorySource(path, bytes)));
}
