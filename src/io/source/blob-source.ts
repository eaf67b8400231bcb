import { AppError, isAbortError } from '../../shared/errors';
import type { ByteSource } from './byte-source';
import { checkReadRange } from './read-range';

/**
 * A browser `File` or `Blob` (a dropped or picked local file, or an OPFS file). `slice()` is lazy, so a read touches
 * only the requested range on disk. With `into`, the range streams into the caller's buffer: `arrayBuffer()` would
 * allocate a second buffer of the read's size (a 262 MB embedding matrix) that lives until the next garbage collection.
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
    if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'Cancelled.');
    checkReadRange(this, offset, length);
    try {
      const range = this.blob.slice(offset, offset + length);
      if (into === undefined || into.byteLength < length) return new Uint8Array(await range.arrayBuffer());
      return await streamInto(range.stream(), into.subarray(0, length), signal);
    } catch (cause) {
      if (cause instanceof AppError) throw cause;
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

/** Fills `out` from `stream` chunk by chunk (each chunk is garbage at once); rejects if the stream is short or long. */
async function streamInto(stream: ReadableStream<Uint8Array>, out: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const reader = stream.getReader();
  let at = 0;
  try {
    for (;;) {
      if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'Cancelled.');
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.byteLength > out.byteLength) throw new AppError('E_SHORT_READ', `A read returned more bytes than asked for (${at + value.byteLength} > ${out.byteLength}).`);
      out.set(value, at);
      at += value.byteLength;
    }
  } finally {
    if (at < out.byteLength) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  if (at !== out.byteLength) throw new AppError('E_SHORT_READ', `A read ended after ${at} of ${out.byteLength} bytes: the file is shorter than its header says.`);
  return out;
}
