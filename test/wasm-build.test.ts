import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { findWat, generatedModule, watTarget } from '../scripts/wasm-compile';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('generated WebAssembly modules', () => {
  it('every committed *-wasm.ts is what its .wat compiles to (run `npm run wasm` after editing a .wat)', async () => {
    const sources = await findWat(join(root, 'src'));
    expect(sources.length).toBeGreaterThanOrEqual(2);
    for (const wat of sources) expect(await readFile(watTarget(wat), 'utf8'), wat).toBe(await generatedModule(root, wat));
  });
});
