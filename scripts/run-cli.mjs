#!/usr/bin/env node
// `node scripts/run-cli.mjs NAME [args…]` runs `src/cli/NAME.ts` from its cached bundle (see bundle-cache.mjs).
// The CPU backend's worker threads start from a bundle built alongside, named by MERGE_STUDIO_WORKER_BUNDLE.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { bundledEntry } from './bundle-cache.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
if (name === undefined || !/^[a-z][a-z0-9-]*$/.test(name)) {
  process.stderr.write('usage: node scripts/run-cli.mjs NAME [args…] (runs src/cli/NAME.ts)\n');
  process.exit(2);
}
const bundle = await bundledEntry({ root, name, entry: `src/cli/${name}.ts`, workers: { 'tensor-worker': 'src/engine/node-tensor-worker.ts' } });
process.env.MERGE_STUDIO_WORKER_BUNDLE = bundle.workers['tensor-worker'];
process.argv = [process.argv[0], join(root, 'src', 'cli', `${name}.ts`), ...args];
await import(pathToFileURL(bundle.main).href);
