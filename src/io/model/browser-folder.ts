import { BlobSource } from '../source/blob-source';
import { localFolder, normalisePath } from './folder-files';
import type { ModelFolder } from './types';

/**
 * A local model folder in the browser, from the `File`s of an `<input webkitdirectory>` (their `webkitRelativePath`
 * starts with the folder's own name, which is stripped) or from a list of files dropped without a folder.
 */
export function folderFromFiles(files: Iterable<File>, name?: string): ModelFolder {
  const list = [...files];
  const relative = list.map((file) => normalisePath(file.webkitRelativePath !== '' ? file.webkitRelativePath : file.name));
  const top = relative.every((p) => p.includes('/')) ? relative[0]?.split('/')[0] : undefined;
  const entries = new Map<string, { size: number; modified: number; item: File }>();
  list.forEach((file, i) => {
    const path = top === undefined ? (relative[i] as string) : (relative[i] as string).slice(top.length + 1);
    entries.set(path, { size: file.size, modified: file.lastModified, item: file });
  });
  return tableFolder(name ?? top ?? 'local files', entries);
}

/** A folder the user picked (`showDirectoryPicker`) or dropped (`getAsFileSystemHandle`), read recursively. */
export async function folderFromHandle(handle: FileSystemDirectoryHandle, maxDepth = 4): Promise<ModelFolder> {
  const entries = new Map<string, { size: number; modified: number; item: File }>();
  async function walk(dir: FileSystemDirectoryHandle, prefix: string, depth: number): Promise<void> {
    for await (const child of dir.values()) {
      if (child.name.startsWith('.')) continue;
      if (child.kind === 'file') {
        const file = await child.getFile();
        entries.set(`${prefix}${child.name}`, { size: file.size, modified: file.lastModified, item: file });
      } else if (depth < maxDepth) {
        await walk(child, `${prefix}${child.name}/`, depth + 1);
      }
    }
  }
  await walk(handle, '', 0);
  return tableFolder(handle.name, entries);
}

function tableFolder(ref: string, entries: Map<string, { size: number; modified: number; item: File }>): ModelFolder {
  return localFolder(ref, entries, (file, path) => Promise.resolve(new BlobSource(path, file)));
}
