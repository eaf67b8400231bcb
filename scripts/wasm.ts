/**
 * `npm run wasm`: compiles every `src/**\/*.wat` into a sibling `*-wasm.ts` that exports the module's bytes as base64,
 * so Node, workers and the browser load the same WebAssembly with no bundler plumbing. A unit test recompiles and
 * checks the committed output, so the two never drift. `--check` only compares.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findWat, generatedModule, watTarget } from './wasm-compile';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;
for (const wat of await findWat(join(root, 'src'))) {
  const expected = await generatedModule(root, wat);
  const target = watTarget(wat);
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === expected) continue;
  stale++;
  if (check) console.error(`${relative(root, target)} is stale: run npm run wasm`);
  else {
    await writeFile(target, expected);
    console.log(`wrote ${relative(root, target)}`);
  }
}
process.exit(check && stale > 0 ? 1 : 0);
