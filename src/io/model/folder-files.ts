import { AppError } from '../../shared/errors';
import type { ByteSource } from '../source/byte-source';
import type { ModelFileEntry, ModelFolder } from './types';

/** Normalises a relative path to `a/b/c` (forward slashes, no leading `./`). */
export function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '');
}

/** A file of a local folder: its size, modification time when known, and what opens it. */
export interface LocalFile<T> {
  readonly size: number;
  readonly modified?: number;
  readonly item: T;
}

/** The shared part of every local folder: a file table, a cache of opened sources, and the missing-file error. */
export class FileTable<T> {
  private readonly sources = new Map<string, Promise<ByteSource>>();

  constructor(
    readonly ref: string,
    private readonly files: ReadonlyMap<string, LocalFile<T>>,
    private readonly openItem: (item: T, path: string) => Promise<ByteSource>,
  ) {}

  list(): ModelFileEntry[] {
    return [...this.files]
      .map(([path, { size, modified }]) => ({ path, size, ...(modified === undefined ? {} : { modified }) }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  open(path: string): Promise<ByteSource> {
    const key = normalisePath(path);
    const file = this.files.get(key);
    if (file === undefined) return Promise.reject(missingFile(this.ref, key));
    let source = this.sources.get(key);
    if (source === undefined) {
      source = this.openItem(file.item, key);
      this.sources.set(key, source);
      source.catch(() => this.sources.delete(key));
    }
    return source;
  }

  /** The opened sources, for folders whose sources hold resources. */
  async opened(): Promise<ByteSource[]> {
    const all = await Promise.allSettled(this.sources.values());
    this.sources.clear();
    return all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }
}

export function missingFile(model: string, path: string): AppError {
  return new AppError('E_FILE_MISSING', `${model} has no file ${path}.`, {
    context: { model, file: path },
    hint: 'Check the model folder or repository: a file it refers to is missing.',
  });
}

/** A {@link ModelFolder} over a table of local files (Node paths, browser Files, bytes in memory). */
export function localFolder<T>(
  ref: string,
  files: ReadonlyMap<string, LocalFile<T>>,
  openItem: (item: T, path: string) => Promise<ByteSource>,
  closeSource: (source: ByteSource) => Promise<void> = () => Promise.resolve(),
): ModelFolder {
  const table = new FileTable(ref, files, openItem);
  return {
    ref,
    revision: undefined,
    kind: 'local',
    listFiles: () => Promise.resolve(table.list()),
    open: (path) => table.open(path),
    close: async () => {
      for (const source of await table.opened()) await closeSource(source);
    },
  };
}
