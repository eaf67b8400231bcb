/**
 * A resumed run's local input folders, read again after a reload: each folder's handle comes back from IndexedDB and
 * read permission is asked for again. A folder that cannot be reopened (no handle stored, no IndexedDB, access
 * refused) is named, with the way out: pick it again under Local folder.
 */
import { canRememberFolders, ensureReadPermission, filesOfHandle, loadFolderHandle } from '../io/model/handle-store';
import { AppError } from '../shared/errors';

export interface ReopenedFolder {
  readonly ref: string;
  readonly files: readonly File[];
}

/**
 * The files of each local input folder the page no longer has, from its remembered handle. When some were never
 * remembered (added as files or dropped, or no IndexedDB here), all of those are named before any permission is asked.
 */
export async function reopenLocalInputs(refs: readonly string[]): Promise<ReopenedFolder[]> {
  const handles = await Promise.all(refs.map(async (ref) => ({ ref, handle: canRememberFolders() ? await loadFolderHandle(ref).catch(() => undefined) : undefined })));
  const unknown = handles.filter((h) => h.handle === undefined).map((h) => h.ref);
  if (unknown.length > 0) {
    const many = unknown.length > 1;
    throw new AppError('E_FILE_MISSING', `The interrupted merge reads the local folder${many ? 's' : ''} ${unknown.map((m) => `“${m}”`).join(', ')}, which this browser could not keep across the reload.`, {
      context: { model: unknown.join(', ') },
      hint: `Add ${many ? 'them' : 'it'} again under Local folder (Choose folder… or drop ${many ? 'them' : 'it'}), then press Resume.`,
    });
  }
  const out: ReopenedFolder[] = [];
  for (const { ref, handle } of handles) {
    if (handle === undefined) continue;
    await ensureReadPermission(handle, ref);
    out.push({ ref, files: await filesOfHandle(handle) });
  }
  return out;
}
