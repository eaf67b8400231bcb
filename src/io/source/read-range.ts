import { AppError } from '../../shared/errors';
import type { ByteSource } from './byte-source';

/** Rejects reads that fall outside the source: every ByteSource checks its arguments the same way. */
export function checkReadRange(source: ByteSource, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new AppError('E_INTERNAL', `Invalid read of ${length} bytes at ${offset} from ${source.name}.`);
  }
  if (offset + length > source.size) {
    throw new AppError(
      'E_SHORT_READ',
      `${source.name} ends at byte ${source.size}, but ${length} bytes were needed at byte ${offset}.`,
      { context: { file: source.name, offset }, hint: 'The file is truncated or changed; download or copy it again.' },
    );
  }
}
