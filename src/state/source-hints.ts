/**
 * Error hints that fit where a model came from. The readers name the fix for a file on disk ("download or export it
 * again"); a file read from the Hub cannot be fixed that way, so its hint points at the repository instead.
 */
import { DAMAGED_FILE_HINT } from '../io/safetensors/header';
import type { ErrorPayload } from '../shared/errors';

export function hintForSource(error: ErrorPayload, kind: 'hub' | 'local'): ErrorPayload {
  if (error.hint !== DAMAGED_FILE_HINT) return error;
  const hint =
    kind === 'hub'
      ? 'The file on the Hub is damaged or not a safetensors file: pick another revision of the repository, or tell its authors.'
      : 'The file is damaged or not a safetensors file: download or export it again, then add the folder again.';
  return { ...error, hint };
}
