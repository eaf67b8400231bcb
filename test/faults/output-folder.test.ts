/**
 * Fault matrix: output folders that already hold things. Writing over an earlier model removes every file of it that
 * the new model does not replace (old index and shards, old single file, old marker, hidden temporaries), and keeps
 * the user's other files; leftovers of killed runs go on the next run.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { INDEX_FILE } from '../../src/io/safetensors/shard-index';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import { fixtureTree, mergeInto, sameFolders, slerp, snapshot, tempDir } from './support';

let models: string;
let recipe: string;
beforeAll(async () => {
  models = await fixtureTree();
  recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`);
});

/** The user's own things in an output folder: never touched. */
async function addUserFiles(dir: string): Promise<void> {
  await writeFile(join(dir, 'notes.txt'), 'my notes');
  await writeFile(join(dir, 'eval-results.json'), '{}');
  await writeFile(join(dir, '.hidden-settings'), 'x');
  await mkdir(join(dir, 'runs'));
  await writeFile(join(dir, 'runs', 'model.safetensors'), 'not at the top level');
}

const USER = ['.hidden-settings', 'eval-results.json', 'notes.txt', 'runs'];

describe('faults: output folder states', () => {
  it('over an earlier sharded model, a single-file model leaves no old index, shard, marker or temporary behind', async () => {
    const out = join(await tempDir(), 'out');
    await mergeInto(recipe, out, { shardBytes: 100_000 });
    expect(await readdir(out)).toContain(INDEX_FILE);
    await addUserFiles(out);
    await writeFile(join(out, '.model-00002-of-00004.safetensors.1a2b3c4d.partial'), new Uint8Array(1000));
    await mergeInto(recipe.replace('t: [0, 1]', 't: 0.5'), out);
    const fresh = join(await tempDir(), 'out');
    await mergeInto(recipe.replace('t: [0, 1]', 't: 0.5'), fresh);
    const after = await snapshot(out);
    for (const name of USER) after.delete(name);
    expect(sameFolders(after, await snapshot(fresh))).toContain('model.safetensors');
    expect((await readdir(out)).sort()).toEqual([...USER, ...(await readdir(fresh))].sort());
  });

  it('over an earlier single-file model, a sharded model removes the old model.safetensors', async () => {
    const out = join(await tempDir(), 'out');
    await mergeInto(recipe, out);
    await addUserFiles(out);
    await mergeInto(recipe, out, { shardBytes: 100_000 });
    const names = await readdir(out);
    expect(names).not.toContain('model.safetensors');
    expect(names).toContain(INDEX_FILE);
    expect(names).not.toContain(PARTIAL_MARKER);
    for (const name of USER) expect(names).toContain(name);
  });

  it('removes shards an earlier index named, whatever their names, and an earlier unfinished run', async () => {
    const out = join(await tempDir(), 'out');
    await mkdir(out);
    await addUserFiles(out);
    await writeFile(join(out, 'weights-part-a.safetensors'), new Uint8Array(64));
    await writeFile(join(out, 'other-export.safetensors'), new Uint8Array(64));
    await writeFile(join(out, INDEX_FILE), JSON.stringify({ metadata: {}, weight_map: { 'a.weight': 'weights-part-a.safetensors' } }));
    await writeFile(join(out, 'tokenizer.model'), 'an old tokenizer the new model does not have');
    await mergeInto(recipe, out);
    const names = await readdir(out);
    expect(names).not.toContain('weights-part-a.safetensors');
    expect(names).not.toContain(INDEX_FILE);
    expect(names).not.toContain('tokenizer.model');
    // A safetensors file no index or manifest of ours names is not ours to remove.
    expect(names).toContain('other-export.safetensors');
    for (const name of USER) expect(names).toContain(name);
  });

  it('removes the hidden temporaries of a killed run when it resumes', async () => {
    const out = join(await tempDir(), 'out');
    const controller = new AbortController();
    await mergeInto(recipe, out, {
      shardBytes: 100_000,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'shard-written') controller.abort();
      },
    }).catch(() => undefined);
    // What kill -9 leaves: a half-written shard under its temporary name.
    await writeFile(join(out, '.model-00002-of-00004.safetensors.0badc0de.partial'), new Uint8Array(4096));
    await writeFile(join(out, '.config.json.12345678.partial'), '{');
    await mergeInto(recipe, out, { shardBytes: 100_000 });
    const names = await readdir(out);
    expect(names.filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(names).toContain(INDEX_FILE);
  });
});
