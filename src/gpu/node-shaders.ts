/** The shader library read from the repository's `shaders/` folder, for Node (CLI, bench, Node tests). */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ShaderLibrary } from './shader-library';

const SHADERS = fileURLToPath(new URL('../../shaders', import.meta.url));

export function nodeShaderLibrary(root: string = SHADERS): ShaderLibrary {
  const library: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.wgsl')) library[relative(root, path).split(sep).join('/')] = readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return library;
}
