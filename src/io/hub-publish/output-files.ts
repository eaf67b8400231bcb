import { AppError } from '../../shared/errors';
import { PARTIAL_MARKER } from '../safetensors/writer';
import { isPartialName } from '../sink/sink-names';

/**
 * Which files of an output folder to publish: everything but unfinished temporaries. An output whose merge has not
 * finished (the resume marker is still there) is refused, so a half model never reaches the Hub looking complete.
 */
export function publishableNames(names: readonly string[], folder: string): string[] {
  if (names.includes(PARTIAL_MARKER)) {
    throw new AppError('E_OUTPUT_NOT_EMPTY', `The merge in ${folder} has not finished, so it cannot be published yet.`, {
      context: { file: PARTIAL_MARKER },
      hint: 'Resume the merge until it completes, then publish.',
    });
  }
  const files = names.filter((name) => !isPartialName(name)).sort();
  if (!files.some((name) => name.endsWith('.safetensors') || name.endsWith('.gguf'))) {
    throw new AppError('E_NO_WEIGHTS', `${folder} holds no model weights to publish.`, { hint: 'Publish the folder a finished merge wrote.' });
  }
  return files;
}
