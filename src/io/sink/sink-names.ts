import { AppError } from '../../shared/errors';

/**
 * Files being written live under a hidden temporary name until they are complete: `.<name>.<tag>.partial`. Every
 * DirectorySink uses the same naming, so `list()` can hide unfinished files whatever wrote them.
 */
export function partialName(name: string, tag: string): string {
  return `.${name}.${tag}.partial`;
}

/** Our temporaries, and Chromium's `.crswap` swap files (which `createWritable()` makes next to the target). */
export function isPartialName(name: string): boolean {
  return (name.startsWith('.') && name.endsWith('.partial')) || name.endsWith('.crswap');
}

/** Output files are plain names inside the output folder: no separators, no dot segments. */
export function checkSinkFileName(name: string, folder: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new AppError('E_SINK_WRITE', `${JSON.stringify(name)} is not a plain file name for the output folder ${folder}.`, {
      context: { file: name },
      hint: 'Output files must sit directly in the chosen folder.',
    });
  }
}
