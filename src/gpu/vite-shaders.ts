/** The shader library bundled by Vite (browser, worker, Vitest): every `shaders/**\/*.wgsl` as raw text. */
import { libraryFromPaths } from './shader-library';
import type { ShaderLibrary } from './shader-library';

const sources: Record<string, string> = import.meta.glob('/shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true });

export const viteShaderLibrary: ShaderLibrary = libraryFromPaths(sources);
