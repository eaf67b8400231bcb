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

/** Bytes per stream read: Chromium's blob streams hand out up to 2 MiB at a time. */
const BOUNCE_BYTES = 2 << 20;
/** Bounce buffers between reads (a few: reads of several files run at once). */
const bounces: ArrayBuffer[] = [];

/**
 * Fills `out` from `stream` through a reused bounce buffer (a BYOB reader: the stream fills the buffer it is given), so
 * a read leaves no garbage behind: the default reader's fresh chunk per read piled up hundreds of MB between collections.
 * Rejects if the stream ends early.
 */
async function streamInto(stream: ReadableStream<Uint8Array>, out: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const reader = stream.getReader({ mode: 'byob' });
  let bounce = bounces.pop() ?? new ArrayBuffer(BOUNCE_BYTES);
  let at = 0;
  try {
    while (at < out.byteLength) {
      if (signal?.aborted === true) throw new AppError('E_CANCELLED', 'Cancelled.');
      // The read takes the buffer over and hands it back (same memory) as the result's buffer.
      const { done, value } = await reader.read(new Uint8Array(bounce, 0, Math.min(BOUNCE_BYTES, out.byteLength - at)));
      if (value !== undefined) bounce = value.buffer as ArrayBuffer;
      if (done || value === undefined) break;
      out.set(value, at);
      at += value.byteLength;
    }
  } finally {
    if (at < out.byteLength) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
    // A failed read keeps the buffer it was given (detached here): only an intact one goes back.
    if (bounce.byteLength === BOUNCE_BYTES && bounces.length < 4) bounces.push(bounce);
  }
  if (at !== out.byteLength) throw new AppError('E_SHORT_READ', `A read ended after ${at} of ${out.byteLength} bytes: the file is shorter than its header says.`);
  return out;
}
