/** Tests: a model folder whose reads are seen by the test (what is read, how much, into which buffer). */
import type { ByteSource } from '../source/byte-source';
import type { ModelFolder } from './types';

/** Sees one read of an opened file: its range, and the caller's buffer when one was handed over. */
export type ReadWatcher = (offset: number, length: number, into: Uint8Array | undefined) => void;

/** `folder` unchanged, except that `watch` is asked, at every open, what sees that file's reads. */
export function observedFolder(folder: ModelFolder, watch: (path: string, source: ByteSource) => ReadWatcher | Promise<ReadWatcher>): ModelFolder {
  return {
    ...folder,
    listFiles: () => folder.listFiles(),
    close: () => folder.close(),
    open: async (path) => {
      const source = await folder.open(path);
      const seen = await watch(path, source);
      return {
        name: source.name,
        size: source.size,
        read: (offset, length, signal, into) => {
          seen(offset, length, into);
          return source.read(offset, length, signal, into);
        },
      };
    },
  };
}
