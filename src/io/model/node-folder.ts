import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

import { AppError } from '../../shared/errors';
import { NodeFileSource } from '../source/node-file-source';
import { localFolder, normalisePath } from './folder-files';
import type { ModelFolder } from './types';

/** Files deeper than this are not model files (and a symlink loop must not hang the scan). */
const MAX_DEPTH = 4;

/** A model folder on a local disk. */
export async function openNodeFolder(dirPath: string): Promise<ModelFolder> {
  const root = resolve(dirPath);
  const files = new Map<string, { size: number; modified: number; item: string }>();
  try {
    await scan(root, root, 0, files);
  } catch (cause) {
    throw new AppError('E_FILE_MISSING', `Cannot read the model folder ${dirPath}: ${(cause as Error).message}`, {
      context: { model: dirPath },
      hint: 'Give the path of a folder that holds config.json and *.safetensors files.',
      cause,
    });
  }
  return localFolder(
    dirPath,
    files,
    (path, name) => NodeFileSource.open(path, name),
    (source) => (source as NodeFileSource).close(),
  );
}

async function scan(root: string, dir: string, depth: number, out: Map<string, { size: number; modified: number; item: string }>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory() && depth < MAX_DEPTH) await scan(root, path, depth + 1, out);
    else if (entry.isFile() || entry.isSymbolicLink()) {
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile() === true) out.set(normalisePath(relative(root, path)), { size: info.size, modified: Math.floor(info.mtimeMs), item: path });
    }
  }
}
