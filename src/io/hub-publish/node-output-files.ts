import { openAsBlob } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { publishableNames } from './output-files';
import type { PublishFile } from './publish';

/** A finished output folder on disk as files to publish; each is a lazy `Blob` over the file, read as it uploads. */
export async function nodeOutputFiles(folder: string): Promise<PublishFile[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const names = publishableNames(entries.filter((e) => e.isFile()).map((e) => e.name), folder);
  return Promise.all(names.map(async (path) => ({ path, content: await openAsBlob(join(folder, path)) })));
}
