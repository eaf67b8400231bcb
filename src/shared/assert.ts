import { AppError } from './errors';

/** Internal invariant: a failure here is a bug in Merge Studio, never bad user input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AppError('E_INTERNAL', `Internal error: ${message}`);
}

export function unreachable(value: never): never {
  throw new AppError('E_INTERNAL', `Internal error: unexpected value ${JSON.stringify(value)}`);
}
