import { publishableNames } from '../../io/hub-publish/output-files';
import type { PublishFile } from '../../io/hub-publish/publish';

/** The output folder's files to publish (lazy `File`s, read as they upload), with `README.md` replaced by `card`. */
export async function folderFiles(folder: FileSystemDirectoryHandle, card: string | undefined): Promise<PublishFile[]> {
  const names: string[] = [];
  for await (const [name, handle] of folder.entries()) if (handle.kind === 'file') names.push(name);
  const files: PublishFile[] = [];
  for (const name of publishableNames(names, folder.name)) {
    if (name === 'README.md' && card !== undefined) continue;
    files.push({ path: name, content: await (await folder.getFileHandle(name)).getFile() });
  }
  if (card !== undefined) files.push({ path: 'README.md', content: new Blob([card], { type: 'text/markdown' }) });
  return files;
}

/** The card the merge wrote, or undefined when the folder has none. */
export async function readCard(folder: FileSystemDirectoryHandle): Promise<string | undefined> {
  try {
    return await (await (await folder.getFileHandle('README.md')).getFile()).text();
  } catch {
    return undefined;
  }
}
