/**
 * Local input folders remembered across reloads: the `FileSystemDirectoryHandle` the user picked is structured-cloneable,
 * so it is kept in IndexedDB under the model's reference. After a reload the handle is read back and read permission
 * asked for again (browsers drop it with the page); where IndexedDB or handles are missing, callers say which folder
 * to pick again.
 */
import { AppError } from '../../shared/errors';

const DB_NAME = 'merge-studio.folders';
const STORE = 'handles';

/** Whether folders can be remembered here at all (IndexedDB and a directory picker that gives handles). */
export function canRememberFolders(): boolean {
  return typeof indexedDB !== 'undefined' && typeof globalThis === 'object' && 'showDirectoryPicker' in globalThis;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB did not open'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? request.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Remembers the folder behind a model reference (replacing an earlier one). */
export async function saveFolderHandle(ref: string, handle: FileSystemDirectoryHandle): Promise<void> {
  await withStore('readwrite', (store) => store.put(handle, ref));
}

/** The remembered folder of a reference, or undefined. */
export async function loadFolderHandle(ref: string): Promise<FileSystemDirectoryHandle | undefined> {
  const value = await withStore<unknown>('readonly', (store) => store.get(ref));
  return value instanceof FileSystemDirectoryHandle ? value : undefined;
}

export async function forgetFolderHandle(ref: string): Promise<void> {
  await withStore('readwrite', (store) => store.delete(ref));
}

interface PermissionHandle {
  queryPermission?(options: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(options: { mode: 'read' }): Promise<PermissionState>;
}

/**
 * Read access to a remembered folder: granted already, or asked for (needs a user gesture, e.g. the Resume click).
 * Throws an `AppError` naming the folder when the user (or the browser) refuses.
 */
export async function ensureReadPermission(handle: FileSystemDirectoryHandle, ref: string): Promise<void> {
  const h = handle as FileSystemDirectoryHandle & PermissionHandle;
  if ((await h.queryPermission?.({ mode: 'read' })) === 'granted') return;
  let state: PermissionState | undefined;
  try {
    state = await h.requestPermission?.({ mode: 'read' });
  } catch (cause) {
    throw new AppError('E_FILE_MISSING', `Reading the folder “${handle.name}” (input ${ref}) needs your permission again.`, {
      context: { model: ref },
      hint: `Click Resume again and allow access, or pick “${handle.name}” again under Local folder.`,
      cause,
    });
  }
  if (state !== undefined && state !== 'granted') {
    throw new AppError('E_FILE_MISSING', `Access to the folder “${handle.name}” (input ${ref}) was not allowed.`, {
      context: { model: ref },
      hint: `Allow read access when asked, or pick “${handle.name}” again under Local folder.`,
    });
  }
}

/** The files directly inside a folder (a model folder is flat), hidden files left out. */
export async function filesOfHandle(handle: FileSystemDirectoryHandle): Promise<File[]> {
  const files: File[] = [];
  for await (const child of handle.values()) {
    if (child.kind === 'file' && !child.name.startsWith('.')) files.push(await child.getFile());
  }
  return files;
}
