import { describe, expect, it } from 'vitest';

import { isAppError } from '../shared/errors';
import { nodeShaderLibrary } from './node-shaders';
import { libraryFromPaths, loadShader } from './shader-library';

describe('shader library and includes', () => {
  it('inlines includes depth first, each file once', () => {
    const library = {
      'main.wgsl': '// #include "lib/a.wgsl"\n// #include "lib/b.wgsl"\nfn main() {}',
      'lib/a.wgsl': '// #include "lib/b.wgsl"\nfn a() {}',
      'lib/b.wgsl': 'fn b() {}',
    };
    const text = loadShader(library, 'main.wgsl');
    expect(text.match(/fn b\(\)/g)).toHaveLength(1);
    expect(text.indexOf('fn b()')).toBeLessThan(text.indexOf('fn a()'));
    expect(text).toContain('fn main() {}');
  });

  it('names the missing file and who included it', () => {
    const error = (() => {
      try {
        return loadShader({ 'x.wgsl': '// #include "lib/nope.wgsl"' }, 'x.wgsl');
      } catch (e) {
        return e;
      }
    })();
    expect(isAppError(error, 'E_INTERNAL')).toBe(true);
    expect((error as Error).message).toContain('lib/nope.wgsl');
    expect((error as Error).message).toContain('x.wgsl');
  });

  it('keys Vite module paths by their path under shaders/, like the Node loader', () => {
    const node = nodeShaderLibrary();
    const vite = libraryFromPaths(Object.fromEntries(Object.entries(node).map(([name, text]) => [`/shaders/${name}`, text])));
    expect(vite).toEqual(node);
    expect(Object.keys(node)).toContain('lib/dtype.wgsl');
    // Every shader resolves: no include points at a missing file.
    for (const name of Object.keys(node)) expect(loadShader(node, name).length).toBeGreaterThan(0);
  });
});
