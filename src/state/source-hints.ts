/**
 * Error hints that fit where a model came from. The readers name the fix for a file on disk ("download or export it
 * again"); a file read from the Hub cannot be fixed that way, so its hint points at the repository instead.
 */
import type { ErrorCode, ErrorPayload } from '../shared/errors';

/** Codes of a weight file whose bytes are not a readable safetensors file. */
const DAMAGED_FILE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['E_TRUNCATED', 'E_HEADER_NOT_JSON', 'E_HEADER_INVALID', 'E_BAD_OFFSETS']);

export function hintForSource(error: ErrorPayload, kind: 'hub' | 'local'): ErrorPayload {
  if (!DAMAGED_FILE.has(error.code)) return error;
  const hint =
    kind === 'hub'
      ? 'The file on the Hub is damaged or not a safetensors file: pick another revision of the repository, or tell its authors.'
      : 'The file is damaged or not a safetensors file: download or export it again, then add the folder again.';
  return { ...error, hint };
}
