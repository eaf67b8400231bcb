/**
 * The run in progress, remembered in `localStorage` so that after a reload (or a crash) the studio can offer to
 * resume it: the recipe, the output options and the output folder's name. Folder handles are not stored: the user
 * picks the folder again, which also renews the write permission.
 */
import type { OutputOptions } from '../engine/api';

export const PENDING_RUN_KEY = 'merge-studio.pending-run';

export interface PendingRun {
  readonly recipeText: string;
  readonly output: OutputOptions;
  readonly folderName: string;
  /** Where the inputs came from: the bundled demo (reloaded by itself) or the recipe's own references. */
  readonly origin: 'demo' | 'recipe';
  /** ISO time the run started. */
  readonly startedAt: string;
}

export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function readPendingRun(storage: KeyValueStorage | undefined): PendingRun | undefined {
  const text = storage?.getItem(PENDING_RUN_KEY);
  if (text === null || text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<PendingRun>;
    if (typeof value.recipeText === 'string' && typeof value.folderName === 'string' && typeof value.output?.name === 'string' && (value.origin === 'demo' || value.origin === 'recipe')) {
      return { recipeText: value.recipeText, output: value.output, folderName: value.folderName, origin: value.origin, startedAt: String(value.startedAt ?? '') };
    }
  } catch {
    // An unreadable entry is dropped below.
  }
  storage?.removeItem(PENDING_RUN_KEY);
  return undefined;
}

export function savePendingRun(storage: KeyValueStorage | undefined, run: PendingRun): void {
  try {
    storage?.setItem(PENDING_RUN_KEY, JSON.stringify(run));
  } catch {
    // Storage full or disabled: the run goes on, it just cannot be offered for resume after a reload.
  }
}

export function clearPendingRun(storage: KeyValueStorage | undefined): void {
  storage?.removeItem(PENDING_RUN_KEY);
}
