/**
 * WGSL sources by name ("cast.wgsl", "lib/dtype.wgsl"), injected so the same gpu/ code runs under Vite (sources from
 * `import.meta.glob`, see vite-shaders.ts) and under plain Node (read from disk, see node-shaders.ts). A shader pulls in
 * shared code with a line `// #include "lib/x.wgsl"`; {@link loadShader} resolves those lines, each file once.
 */
import { AppError } from '../shared/errors';

/** Shader text by path relative to `shaders/`, with forward slashes. */
export type ShaderLibrary = Readonly<Record<string, string>>;

const INCLUDE = /^[ \t]*\/\/[ \t]*#include[ \t]+"([^"]+)"[ \t]*$/gm;

/** The source of shader `name` with its includes inlined (depth first, each file at most once). */
export function loadShader(library: ShaderLibrary, name: string): string {
  return expand(library, name, new Set<string>(), []);
}

function expand(library: ShaderLibrary, name: string, seen: Set<string>, stack: readonly string[]): string {
  const text = library[name];
  if (text === undefined) {
    const from = stack.length > 0 ? ` (included from ${stack[stack.length - 1]})` : '';
    throw new AppError('E_INTERNAL', `Shader ${name} is not in the shader library${from}.`, { hint: 'Check the file exists under shaders/.' });
  }
  seen.add(name);
  return text.replace(INCLUDE, (_line, included: string) => {
    if (seen.has(included)) return `// (${included} already included)`;
    return expand(library, included, seen, [...stack, name]);
  });
}

/** Builds a library from module paths such as "/shaders/lib/dtype.wgsl" or "../../shaders/cast.wgsl". */
export function libraryFromPaths(sources: Readonly<Record<string, string>>): ShaderLibrary {
  const library: Record<string, string> = {};
  for (const [path, text] of Object.entries(sources)) {
    const at = path.lastIndexOf('shaders/');
    library[at >= 0 ? path.slice(at + 'shaders/'.length) : path] = text;
  }
  return library;
}
