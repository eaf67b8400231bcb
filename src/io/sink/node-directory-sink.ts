import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { AppError } from '../../shared/errors';
import type { DirectorySink, FileSink } from './byte-sink';
import { checkSinkFileName, isPartialName, partialName } from './sink-names';

/**
 * An output folder on a local disk (the CLI, tests, the bench). Each file is written to a hidden temporary sibling
 * and renamed into place after an fsync on `close()`: a crash never leaves a half file under a real name.
 */
export class NodeDirectorySink implements DirectorySink {
  private constructor(readonly name: string) {}

  static async open(dirPath: string, options: { readonly create?: boolean } = {}): Promise<NodeDirectorySink> {
    try {
      if (options.create === true) await mkdir(dirPath, { recursive: true });
      await readdir(dirPath);
    } catch (cause) {
      throw fsError(cause, dirPath, `Cannot open the output folder ${dirPath}`);
    }
    return new NodeDirectorySink(dirPath);
  }

  async createFile(name: string): Promise<FileSink> {
    checkSinkFileName(name, this.name);
    const temporary = join(this.name, partialName(name, randomBytes(4).toString('hex')));
    try {
      return new NodeFileSink(name, join(this.name, name), temporary, await open(temporary, 'wx'));
    } catch (cause) {
      throw fsError(cause, temporary, `Cannot create ${name} in ${this.name}`);
    }
  }

  async list(): Promise<string[]> {
    const entries = await readdir(this.name, { withFileTypes: true });
    return entries.filter((e) => e.isFile() && !isPartialName(e.name)).map((e) => e.name).sort();
  }

  async readFile(name: string): Promise<Uint8Array | undefined> {
    checkSinkFileName(name, this.name);
    try {
      return new Uint8Array(await readFile(join(this.name, name)));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(cause, join(this.name, name), `Cannot read ${name}`);
    }
  }

  async remove(name: string): Promise<void> {
    checkSinkFileName(name, this.name);
    await rm(join(this.name, name), { force: true });
  }

  async removeTemporaries(): Promise<string[]> {
    const entries = await readdir(this.name, { withFileTypes: true });
    const names = entries.filter((e) => e.isFile() && isPartialName(e.name)).map((e) => e.name);
    for (const name of names) await rm(join(this.name, name), { force: true });
    return names.sort();
  }
}

class NodeFileSink implements FileSink {
  written = 0;
  private done = false;

  constructor(
    readonly name: string,
    private readonly finalPath: string,
    private readonly temporaryPath: string,
    private readonly handle: FileHandle,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new AppError('E_SINK_WRITE', `${this.name} is already closed.`, { context: { file: this.name } });
    try {
      let at = 0;
      while (at < chunk.byteLength) {
        const { bytesWritten } = await this.handle.write(chunk, at, chunk.byteLength - at);
        at += bytesWritten;
      }
    } catch (cause) {
      throw fsError(cause, this.finalPath, `Writing ${this.name} failed`);
    }
    this.written += chunk.byteLength;
  }

  async close(): Promise<void> {
    if (this.done) throw new AppError('E_SINK_WRITE', `${this.name} is already closed.`, { context: { file: this.name } });
    this.done = true;
    try {
      await this.handle.sync();
      await this.handle.close();
      await rename(this.temporaryPath, this.finalPath);
    } catch (cause) {
      await rm(this.temporaryPath, { force: true }).catch(() => undefined);
      throw fsError(cause, this.finalPath, `Saving ${this.name} failed`);
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => undefined);
    await rm(this.temporaryPath, { force: true });
  }
}

/** Disk errors in words a user can act on. */
function fsError(cause: unknown, path: string, what: string): AppError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hints: Record<string, string> = {
    ENOSPC: 'The disk is full: free some space or choose another folder, then run again (finished shards are kept).',
    EDQUOT: 'Your disk quota is used up: free some space or choose another folder.',
    EACCES: `You have no permission to write to ${path}: choose another folder.`,
    EPERM: `You have no permission to write to ${path}: choose another folder.`,
    EROFS: `${path} is on a read-only disk: choose another folder.`,
    ENOENT: `The folder does not exist: create it or choose another one.`,
    ENOTDIR: `${path} is not a folder: choose a folder for the output.`,
  };
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AppError('E_SINK_WRITE', `${what}: ${reason}`, {
    context: { file: path },
    hint: (code === undefined ? undefined : hints[code]) ?? 'Check the output folder and try again.',
    cause,
  });
}
