/**
 * A resumed run's local input folders, read again after a reload: each folder's handle comes back from IndexedDB and
 * read permission is asked for again. A folder that cannot be reopened (no handle stored, no IndexedDB, access
 * refused) is named, with the way out: pick it again under Local folder.
 */
import type { SourceSpec } from '../engine/api';
import { canRememberFolders, ensureReadPermission, filesOfHandle, loadFolderHandle } from '../io/model/handle-store';
import { AppError } from '../shared/errors';

export interface ReopenedFolder {
  readonly ref: string;
  readonly files: readonly File[];
}

/**
 * The files of each local input; `have` lists references already loaded in this page (picked again by the user),
 * which are taken as they are.
 */
export async function reopenLocalInputs(refs: readonly string[], have: Readonly<Record<string, { readonly files: readonly File[] }>>): Promise<ReopenedFolder[]> {
  const out: ReopenedFolder[] = [];
  for (const ref of refs) {
    const loaded = have[ref];
    if (loaded !== undefined) {
      out.push({ ref, files: loaded.files });
      continue;
    }
    const handle = canRememberFolders() ? await loadFolderHandle(ref).catch(() => undefined) : undefined;
    if (handle === undefined) {
      throw new AppError('E_FILE_MISSING', `The recipe reads the local folder “${ref}”, which this browser could not keep across the reload.`, {
        context: { model: ref },
        hint: `Pick the folder “${ref}” again under Local folder (Choose folder… or drop it), then click Resume… again.`,
      });
    }
    await ensureReadPermission(handle, ref);
    out.push({ ref, files: await filesOfHandle(handle) });
  }
  return out;
}

/** The run's sources for reopened folders. */
export function sourcesOf(folders: readonly ReopenedFolder[]): Record<string, SourceSpec> {
  return Object.fromEntries(folders.map((f) => [f.ref, { kind: 'files' as const, name: f.ref, files: f.files }]));
}
