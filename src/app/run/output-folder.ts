/** The output folder in the browser: one the user picks (File System Access), else one in the browser's private storage, whose files are downloaded one by one. */
import type { OutputFolder } from '../../state/job-slice';
import { saveBlob } from '../save-file';

type DirectoryPicker = (options?: { id?: string; mode?: 'read' | 'readwrite'; startIn?: string }) => Promise<FileSystemDirectoryHandle>;

function directoryPicker(): DirectoryPicker | undefined {
  const picker = (window as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  return picker === undefined ? undefined : picker.bind(window);
}

/** A folder the user picks, or (without a picker) a folder named after the model in the browser's storage. */
export async function chooseOutputFolder(name: string): Promise<{ handle: FileSystemDirectoryHandle; storage: OutputFolder['storage'] } | undefined> {
  const picker = directoryPicker();
  if (picker === undefined) {
    const root = await navigator.storage.getDirectory();
    return { handle: await root.getDirectoryHandle(name.replace(/[\\/:*?"<>|]/g, '_') || 'merged-model', { create: true }), storage: 'browser' };
  }
  try {
    return { handle: await picker({ id: 'merge-output', mode: 'readwrite', startIn: 'downloads' }), storage: 'picked' };
  } catch (error) {
    if ((error as DOMException).name === 'AbortError') return undefined;
    throw error;
  }
}

/** Saves one file of a browser-storage folder through a download link. */
export async function download(handle: FileSystemDirectoryHandle, name: string): Promise<void> {
  saveBlob(await (await handle.getFileHandle(name)).getFile(), name);
}
