import { AppError } from '../../shared/errors';
import type { DirectorySink, FileSink } from './byte-sink';
import { checkSinkFileName } from './sink-names';

/** An output folder in memory (tests). Files appear in `files` only when closed. */
export class MemoryDirectorySink implements DirectorySink {
  readonly files = new Map<string, Uint8Array>();
  /** Files being written, by name (visible to tests that check "nothing published yet"). */
  readonly pending = new Set<string>();

  constructor(readonly name = 'memory') {}

  createFile(name: string): Promise<FileSink> {
    try {
      checkSinkFileName(name, this.name);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(new MemoryFileSink(name, this));
  }

  list(): Promise<string[]> {
    return Promise.resolve([...this.files.keys()].sort());
  }

  readFile(name: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.files.get(name));
  }

  remove(name: string): Promise<void> {
    this.files.delete(name);
    return Promise.resolve();
  }

  /** Memory holds no temporaries: files being written live in `pending` and vanish with the process. */
  removeTemporaries(): Promise<string[]> {
    return Promise.resolve([]);
  }
}

class MemoryFileSink implements FileSink {
  private readonly chunks: Uint8Array[] = [];
  private state: 'open' | 'closed' | 'aborted' = 'open';
  written = 0;

  constructor(
    readonly name: string,
    private readonly dir: MemoryDirectorySink,
  ) {
    dir.pending.add(name);
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open') return Promise.reject(closedError(this.name));
    this.chunks.push(chunk.slice());
    this.written += chunk.byteLength;
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.state !== 'open') return Promise.reject(closedError(this.name));
    const bytes = new Uint8Array(this.written);
    let at = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    this.state = 'closed';
    this.dir.pending.delete(this.name);
    this.dir.files.set(this.name, bytes);
    return Promise.resolve();
  }

  abort(): Promise<void> {
    this.state = 'aborted';
    this.chunks.length = 0;
    this.dir.pending.delete(this.name);
    return Promise.resolve();
  }
}

function closedError(name: string): AppError {
  return new AppError('E_SINK_WRITE', `${name} is already closed.`, { context: { file: name } });
}
