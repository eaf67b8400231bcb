import { AppError } from '../../shared/errors';
import type { DirectorySink, FileSink } from './byte-sink';
import { checkSinkFileName, isPartialName, partialName } from './sink-names';

/**
 * An output folder behind a File System Access directory handle: a folder the user picked with
 * `showDirectoryPicker({ mode: 'readwrite' })`, or a directory of the origin private file system. Both take the same
 * code path. Each file is written under a hidden temporary name and renamed with `move()` once closed; where `move()`
 * is missing the final name is written directly (Chromium's swap file still keeps the target untouched until close).
 */
export class FsAccessDirectorySink implements DirectorySink {
  readonly name: string;

  constructor(
    private readonly dir: FileSystemDirectoryHandle,
    name?: string,
  ) {
    this.name = name ?? dir.name;
  }

  async createFile(name: string): Promise<FileSink> {
    checkSinkFileName(name, this.name);
    const movable = 'move' in FileSystemFileHandle.prototype;
    const target = movable ? partialName(name, Math.random().toString(36).slice(2, 10)) : name;
    try {
      const handle = await this.dir.getFileHandle(target, { create: true });
      return new FsAccessFileSink(name, this.dir, handle, await handle.createWritable(), movable);
    } catch (cause) {
      throw sinkError(cause, name, this.name, 'Cannot create');
    }
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    for await (const [name, handle] of this.dir.entries()) if (handle.kind === 'file' && !isPartialName(name)) names.push(name);
    return names.sort();
  }

  async readFile(name: string): Promise<Uint8Array | undefined> {
    checkSinkFileName(name, this.name);
    try {
      return new Uint8Array(await (await (await this.dir.getFileHandle(name)).getFile()).arrayBuffer());
    } catch (cause) {
      if ((cause as DOMException).name === 'NotFoundError') return undefined;
      throw sinkError(cause, name, this.name, 'Cannot read');
    }
  }

  async remove(name: string): Promise<void> {
    checkSinkFileName(name, this.name);
    await this.dir.removeEntry(name).catch((cause: unknown) => {
      if ((cause as DOMException).name !== 'NotFoundError') throw sinkError(cause, name, this.name, 'Cannot remove');
    });
  }

  async removeTemporaries(): Promise<string[]> {
    const names: string[] = [];
    for await (const [name, handle] of this.dir.entries()) if (handle.kind === 'file' && isPartialName(name)) names.push(name);
    for (const name of names) {
      await this.dir.removeEntry(name).catch((cause: unknown) => {
        if ((cause as DOMException).name !== 'NotFoundError') throw sinkError(cause, name, this.name, 'Cannot remove');
      });
    }
    return names.sort();
  }
}

/** The copy-out piece for shared memory. */
const SHARED_PIECE_BYTES = 16 * 1024 * 1024;

type MovableHandle = FileSystemFileHandle & { move(name: string): Promise<void> };

class FsAccessFileSink implements FileSink {
  written = 0;
  private done = false;
  private piece: Uint8Array<ArrayBuffer> | undefined;

  constructor(
    readonly name: string,
    private readonly dir: FileSystemDirectoryHandle,
    private readonly handle: FileSystemFileHandle,
    private readonly writable: FileSystemWritableFileStream,
    private readonly movable: boolean,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new AppError('E_SINK_WRITE', `${this.name} is already closed.`, { context: { file: this.name } });
    try {
      if (chunk.buffer instanceof ArrayBuffer) await this.writable.write(chunk as Uint8Array<ArrayBuffer>);
      else await this.writeShared(chunk);
    } catch (cause) {
      throw sinkError(cause, this.name, this.dir.name, 'Writing failed for');
    }
    this.written += chunk.byteLength;
  }

  /**
   * A view of shared memory (the CPU pool's buffers in a cross-origin isolated page), which the stream refuses: copied
   * out through one piece buffer per file, reused from write to write.
   */
  private async writeShared(chunk: Uint8Array): Promise<void> {
    const piece = (this.piece ??= new Uint8Array(SHARED_PIECE_BYTES));
    for (let at = 0; at < chunk.byteLength; at += piece.byteLength) {
      const part = chunk.subarray(at, Math.min(chunk.byteLength, at + piece.byteLength));
      piece.set(part);
      await this.writable.write(piece.subarray(0, part.byteLength));
    }
  }

  async close(): Promise<void> {
    if (this.done) throw new AppError('E_SINK_WRITE', `${this.name} is already closed.`, { context: { file: this.name } });
    this.done = true;
    try {
      await this.writable.close();
      if (this.movable) {
        await this.dir.removeEntry(this.name).catch(() => undefined);
        await (this.handle as MovableHandle).move(this.name);
      }
    } catch (cause) {
      if (this.movable) await this.dir.removeEntry(this.handle.name).catch(() => undefined);
      throw sinkError(cause, this.name, this.dir.name, 'Saving failed for');
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.writable.abort().catch(() => undefined);
    if (this.movable) await this.dir.removeEntry(this.handle.name).catch(() => undefined);
  }
}

function sinkError(cause: unknown, file: string, folder: string, what: string): AppError {
  const name = (cause as DOMException | undefined)?.name;
  const hint =
    name === 'QuotaExceededError'
      ? 'The disk or the browser storage quota is full: free space or choose another folder, then run again (finished shards are kept).'
      : name === 'NotAllowedError' || name === 'SecurityError'
        ? 'The browser no longer has permission to write to this folder: choose the folder again.'
        : 'Check the output folder and try again.';
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AppError('E_SINK_WRITE', `${what} ${file} in ${folder}: ${reason}`, { context: { file }, hint, cause });
}
