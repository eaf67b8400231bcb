import { AppError } from '../../shared/errors';
import type { ByteSource } from './byte-source';
import { checkReadRange } from './read-range';

/** Bytes already in memory (tests, small downloaded files). */
export class MemorySource implements ByteSource {
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.byteLength;
  }

  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (signal?.aborted) return Promise.reject(new AppError('E_CANCELLED', 'Cancelled.'));
    checkReadRange(this, offset, length);
    return Promise.resolve(this.bytes.subarray(offset, offset + length));
  }
}
