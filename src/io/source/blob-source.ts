import { AppError, isAbortError } from '../../shared/errors';
import type { ByteSource } from './byte-source';
import { checkReadRange } from './read-range';

/**
 * A browser `File` or `Blob` (a dropped or picked local file, or an OPFS file). `slice()` is lazy, so a read touches
 * only the requested range on disk.
 */
export class BlobSource implements ByteSource {
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly blob: Blob,
  ) {
    this.size = blob.size;
  }

  static async fromHandle(handle: FileSystemFileHandle, name: string = handle.name): Promise<BlobSource> {
    return new BlobSource(name, await handle.getFile());
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'Cancelled.');
    checkReadRange(this, offset, length);
    try {
      return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
    } catch (cause) {
      if (isAbortError(cause)) throw new AppError('E_CANCELLED', 'Cancelled.', { cause });
      // Chromium reports NotReadableError when the file changed on disk after it was picked.
      throw new AppError('E_FILE_CHANGED', `${this.name} can no longer be read: it changed on disk after you picked it.`, {
        context: { file: this.name, offset },
        hint: 'Pick the model folder again.',
        cause,
      });
    }
  }
}
