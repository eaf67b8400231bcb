import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { bundledEntry, sourceFingerprint } from '../scripts/bundle-cache.mjs';

const roots: string[] = [];

/** A tiny project: a command that imports a module and reads a file next to its own source through import.meta.url. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'bundle-cache-'));
  roots.push(root);
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'src', 'lib'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  writeFileSync(join(root, 'src', 'lib', 'word.ts'), "export const word: string = 'one';\n");
  writeFileSync(join(root, 'src', 'lib', 'note.txt'), 'beside the source');
  writeFileSync(
    join(root, 'src', 'cli', 'hello.ts'),
    [
      "import { readFileSync } from 'node:fs';",
      "import { fileURLToPath } from 'node:url';",
      "import { word } from '../lib/word';",
      "const note = readFileSync(fileURLToPath(new URL('../lib/note.txt', import.meta.url)), 'utf8');",
      'process.stdout.write(`${word} ${note}`);',
      '',
    ].join('\n'),
  );
  return root;
}

function run(main: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(main).href)})`], { encoding: 'utf8' });
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('cached command bundles', () => {
  it('builds once, reuses the bundle while the sources are unchanged, and finds files next to the original sources', async () => {
    const root = project();
    const first = await bundledEntry({ root, name: 'hello', entry: 'src/cli/hello.ts' });
    expect(first.built).toBe(true);
    expect(run(first.main)).toBe('one beside the source');
    const again = await bundledEntry({ root, name: 'hello', entry: 'src/cli/hello.ts' });
    expect(again).toEqual({ ...first, built: false });
  });

  it('an edited source gets a new bundle that runs the new code, and the stale bundle is removed', async () => {
    const root = project();
    const first = await bundledEntry({ root, name: 'hello', entry: 'src/cli/hello.ts' });
    const before = sourceFingerprint(root);
    // Same size, a later modification time: still a change.
    writeFileSync(join(root, 'src', 'lib', 'word.ts'), "export const word: string = 'two';\n");
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'src', 'lib', 'word.ts'), later, later);
    expect(sourceFingerprint(root)).not.toBe(before);
    const second = await bundledEntry({ root, name: 'hello', entry: 'src/cli/hello.ts' });
    expect(second.built).toBe(true);
    expect(second.main).not.toBe(first.main);
    expect(run(second.main)).toBe('two beside the source');
    expect(existsSync(first.main)).toBe(false);
    expect(readdirSync(join(root, 'node_modules', '.cache', 'merge-studio'))).toHaveLength(1);
  });

  it('a new file and a deleted file change the fingerprint; an unfinished build is redone', async () => {
    const root = project();
    const base = sourceFingerprint(root);
    writeFileSync(join(root, 'src', 'lib', 'extra.ts'), 'export {};\n');
    const added = sourceFingerprint(root);
    expect(added).not.toBe(base);
    rmSync(join(root, 'src', 'lib', 'extra.ts'));
    expect(sourceFingerprint(root)).toBe(base);
    const first = await bundledEntry({ root, name: 'hello', entry: 'src/cli/hello.ts' });
    rmSync(join(first.main, '..', 'complete'));
    expect((await bundledEntry({ root, name: 'hello', entry: 'src/cli/hello.ts' })).built).toBe(true);
  });
});
