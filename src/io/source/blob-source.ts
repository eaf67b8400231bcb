import { AppError, isAbortError } from '../../shared/errors';
import type { ByteSource } from './byte-source';
import { checkReadRange } from './read-range';
import { NUDGE_EVERY_BYTES, droppedReadBuffers } from './young-buffers';

/**
 * Bytes per `Blob.arrayBuffer()` of a read into the caller's buffer. Each piece is a fresh buffer, garbage once copied;
 * pieces keep that garbage small (measured in a worker, 40 reads of 90 MB: whole reads peaked at 847 MB, 16 MiB
 * pieces at 705 MB, and 207 MB with a collector nudge after each: `young-buffers.ts`).
 */
const PIECE_BYTES = NUDGE_EVERY_BYTES;

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

  async read(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    checkReadRange(this, offset, length);
    try {
      signal?.throwIfAborted();
      if (into === undefined) return await this.piece(offset, length);
      for (let at = 0; at < length; at += PIECE_BYTES) {
        // Stops between pieces on an abort, reported below as a cancel.
        signal?.throwIfAborted();
        const n = Math.min(PIECE_BYTES, length - at);
        await this.copyPiece(offset + at, n, into, at);
        droppedReadBuffers(n);
      }
      return into.subarray(0, length);
    } catch (cause) {
      if (isAbortError(cause) || signal?.aborted === true) throw new AppError('E_CANCELLED', 'Cancelled.', { cause });
      // Chromium reports NotReadableError when the file changed on disk after it was picked.
      throw new AppError('E_FILE_CHANGED', `${this.name} can no longer be read: it changed on disk after you picked it.`, {
        context: { file: this.name, offset },
        hint: 'Pick the model folder again.',
        cause,
      });
    }
  }

  private async piece(offset: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }

  /** One piece into `into` at `at`; the piece's fresh buffer is unreachable once this returns. */
  private async copyPiece(offset: number, length: number, into: Uint8Array, at: number): Promise<void> {
    into.set(await this.piece(offset, length), at);
  }
}
