// Node commands (`npm run merge`, and any `src/cli/<name>.ts`) start from an esbuild bundle cached under
// node_modules/.cache/merge-studio/, instead of transpiling every TypeScript module at each start. The bundle is
// named after a fingerprint of the sources (path, size and modification time of every file under src/ and shaders/,
// plus package.json), so any edit builds a fresh one; stale bundles of the same command are removed.
// Plain JavaScript on purpose: it must run before anything can be transpiled.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Folders and files whose changes invalidate a bundle, relative to the project root. */
export const WATCHED = ['src', 'shaders', 'package.json'];

/** A hash of every watched file's path, size and modification time. */
export function sourceFingerprint(root, watched = WATCHED) {
  const hash = createHash('sha256');
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
      return;
    }
    hash.update(`${relative(root, path)}\u0000${stat.size}\u0000${stat.mtimeMs}\n`);
  };
  for (const item of watched) visit(join(root, item));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Replaces `import.meta.url` in each source file by that file's own URL, so code that finds files next to itself
 * (the shader folder, the worker entry) still finds them from inside the bundle.
 */
function ownUrlPlugin(root) {
  return {
    name: 'own-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join(root, 'node_modules')}`)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
      });
    },
  };
}

/**
 * The cached bundle of `entry` (a path relative to root) for `name`: built when missing, reused otherwise.
 * `extraEntries` are bundled next to it (as CommonJS, for worker threads) and returned by name.
 */
export async function bundledEntry({ root, name, entry, cacheDir = join(root, 'node_modules', '.cache', 'merge-studio'), workers = {}, watched = WATCHED }) {
  const fingerprint = sourceFingerprint(root, watched);
  const dir = join(cacheDir, `${name}-${fingerprint}`);
  const main = join(dir, `${name}.mjs`);
  const workerFiles = Object.fromEntries(Object.keys(workers).map((w) => [w, join(dir, `${w}.cjs`)]));
  if (existsSync(join(dir, 'complete'))) return { main, workers: workerFiles, built: false };
  const { build } = await import('esbuild');
  mkdirSync(dir, { recursive: true });
  const common = { bundle: true, platform: 'node', target: 'node20', packages: 'external', logLevel: 'error', plugins: [ownUrlPlugin(root)], absWorkingDir: root };
  await Promise.all([
    build({ ...common, entryPoints: [join(root, entry)], format: 'esm', outfile: main }),
    ...Object.entries(workers).map(([w, path]) => build({ ...common, entryPoints: [join(root, path)], format: 'cjs', outfile: workerFiles[w] })),
  ]);
  // Marks the bundle usable only once every file is written (an interrupted build is redone next time).
  writeFileSync(join(dir, 'complete'), fingerprint);
  for (const old of readdirSync(cacheDir)) {
    if (old.startsWith(`${name}-`) && old !== `${name}-${fingerprint}`) rmSync(join(cacheDir, old), { recursive: true, force: true });
  }
  return { main, workers: workerFiles, built: true };
}
