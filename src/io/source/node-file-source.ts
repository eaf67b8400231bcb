import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

import { AppError } from '../../shared/errors';
import type { ByteSource } from './byte-source';
import { checkReadRange } from './read-range';

/** A local file read with positioned reads (no streams, no whole-file buffers). */
export class NodeFileSource implements ByteSource {
  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string, name: string = path): Promise<NodeFileSource> {
    try {
      const handle = await open(path, 'r');
      return new NodeFileSource(name, (await handle.stat()).size, handle);
    } catch (cause) {
      throw new AppError('E_FILE_MISSING', `Cannot open ${name}: ${(cause as Error).message}`, {
        context: { file: name },
        hint: 'Check that the file exists and is readable.',
        cause,
      });
    }
  }

  async read(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'Cancelled.');
    checkReadRange(this, offset, length);
    const out = into !== undefined && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const { bytesRead } = await this.handle.read(out, at, length - at, offset + at);
      if (bytesRead === 0) {
        // The file shrank after it was opened.
        const now = (await stat(this.name).catch(() => undefined))?.size;
        throw new AppError('E_FILE_CHANGED', `${this.name} changed while it was being read (now ${now ?? 'gone'}).`, {
          context: { file: this.name, offset: offset + at },
          hint: 'Do not modify model files during a merge; start again.',
        });
      }
      at += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
