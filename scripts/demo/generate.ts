/**
 * `tsx scripts/demo/generate.ts PUBLIC_DIR`: makes sure PUBLIC_DIR/demo holds the current offline demo (generated,
 * about 10 MB, git-ignored). Vite runs it before the dev server or a build starts (see vite.config.ts), so `npm start`
 * offers a working merge with no network. Does nothing when the demo there is current.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { NodeDirectorySink } from '../../src/io/sink/node-directory-sink';
import { DEMO_VERSION, writeDemo } from './demo-models';

async function isCurrent(dir: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { version?: unknown };
    return manifest.version === DEMO_VERSION;
  } catch {
    return false;
  }
}

async function main(publicDir: string): Promise<void> {
  const dir = join(publicDir, 'demo');
  if (await isCurrent(dir)) return;
  await rm(dir, { recursive: true, force: true });
  const root = await NodeDirectorySink.open(dir, { create: true });
  await writeDemo(root, (id) => NodeDirectorySink.open(join(dir, id), { create: true }));
  process.stderr.write(`Generated the offline demo models in ${dir}\n`);
}

main(process.argv[2] ?? 'public').catch((error: unknown) => {
  process.stderr.write(`Cannot generate the demo models: ${String(error)}\n`);
  process.exitCode = 1;
});
