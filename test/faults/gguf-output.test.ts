/**
 * Fault matrix for GGUF outputs: an interrupted GGUF export resumes only under the run fingerprint (changed inputs
 * rewrite every part, even when the safetensors marker that carries the fingerprint is gone), and writing over an
 * earlier output removes its `.gguf` file or gguf-split parts, its GGUF marker and its hidden temporaries when the
 * new run does not write them. The user's other files, other `.gguf` files included, are never touched.
 */
import { cp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { GGUF_MARKER } from '../../src/engine/gguf-output';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import type { Fixture } from '../fixtures/standard';
import { TINY_LLAMA } from '../fixtures/standard';
import { writeFixtureTree } from '../fixtures/node-fixtures';
import { appError, copyModel, mergeInto, sameFolders, slerp, snapshot, startOf, tempDir } from './support';

/** The tiny Llama siblings with a trained tokenizer (GGUF needs merges). */
const GGUF_LLAMA = { ...TINY_LLAMA, vocab: 320, tokenizer: 'llama2' } as const;
const FIXTURES: readonly Fixture[] = [
  { id: 'tiny/llama-bf16', kind: 'model', spec: GGUF_LLAMA },
  { id: 'tiny/llama-bf16-ft', kind: 'model', spec: { ...GGUF_LLAMA, derivedFrom: { seed: 2, scale: 0.25 } } },
  { id: 'tiny/llama-bf16-ft2', kind: 'model', spec: { ...GGUF_LLAMA, derivedFrom: { seed: 3, scale: 0.25 } } },
];

let models: string;
beforeAll(async () => {
  models = await writeFixtureTree(await tempDir('faults-models-'), FIXTURES);
});

/** About 360 kB of f16: four parts. */
const SPLIT = { type: 'f16', maxFileBytes: 100_000, only: true } as const;
const PART = /^out-\d{5}-of-\d{5}\.gguf$/;
/** Cancels a GGUF-only run half-way: the folder keeps its finished first part(s) and the GGUF marker. */
async function cancelHalfWay(recipe: string, out: string): Promise<string[]> {
  const controller = new AbortController();
  let total = 0;
  const run = mergeInto(recipe, out, {
    gguf: SPLIT,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'start') total = event.tensorCount;
      if (event.type === 'tensor' && event.index >= total / 2) controller.abort();
    },
  });
  expect((await appError(run)).code).toBe('E_CANCELLED');
  const names = await readdir(out);
  expect(names).toContain(GGUF_MARKER);
  const parts = names.filter((n) => PART.test(n));
  expect(parts.length).toBeGreaterThan(0);
  return parts;
}

/** Replaces the fine-tune's weights by another sibling's (same size and header), as a re-download might. */
async function changeWeights(other: string): Promise<void> {
  const file = join(other, 'model.safetensors');
  const before = await stat(file);
  await cp(join(models, 'tiny/llama-bf16-ft2/model.safetensors'), file);
  await utimes(file, before.atime, new Date(before.mtimeMs + 5000));
}

describe('faults: GGUF outputs', () => {
  it('resumes an interrupted GGUF export with its finished parts when nothing changed, byte-identical to one run', async () => {
    const recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`);
    const out = join(await tempDir(), 'out');
    const [first] = await cancelHalfWay(recipe, out);
    const kept = await stat(join(out, first as string));
    const events = await mergeInto(recipe, out, { gguf: SPLIT });
    expect(startOf(events).restartReasons).toEqual([]);
    // The finished part was kept, not written again (a rewrite lands as a new file).
    expect((await stat(join(out, first as string))).ino).toBe(kept.ino);
    const fresh = join(await tempDir(), 'out');
    await mergeInto(recipe, fresh, { gguf: SPLIT });
    expect(sameFolders(await snapshot(out), await snapshot(fresh)).filter((n) => PART.test(n)).length).toBeGreaterThan(1);
  });

  it.each([
    ['the safetensors marker says why', false],
    ['the safetensors marker is gone and only the GGUF marker holds the fingerprint', true],
  ])('rewrites every GGUF part when the inputs changed since the interrupted run (%s)', async (_why, dropMarker) => {
    const other = await copyModel(models, 'tiny/llama-bf16-ft');
    // t: 0.5 everywhere, so the fine-tune reaches every part (at t: 0 the embeddings are the base's alone).
    const recipe = slerp(`${models}/tiny/llama-bf16`, other).replace('t: [0, 1]', 't: 0.5');
    const out = join(await tempDir(), 'out');
    const [first] = await cancelHalfWay(recipe, out);
    const stale = await readFile(join(out, first as string));
    await changeWeights(other);
    if (dropMarker) await rm(join(out, PARTIAL_MARKER));
    const events = await mergeInto(recipe, out, { gguf: SPLIT, resume: true });
    if (!dropMarker) expect(startOf(events).restartReasons[0]).toMatch(/llama-bf16-ft: model\.safetensors changed/);
    const fresh = join(await tempDir(), 'out');
    await mergeInto(recipe, fresh, { gguf: SPLIT });
    const names = sameFolders(await snapshot(out), await snapshot(fresh));
    expect(names).toContain(first);
    expect(names).not.toContain(GGUF_MARKER);
    // The change reaches the first part: keeping it would have mixed two merges.
    expect(Buffer.compare(stale, await readFile(join(fresh, first as string)))).not.toBe(0);
  });

  it('over an earlier GGUF output, a safetensors-only model removes its parts, marker and temporaries but not the user’s GGUF', async () => {
    const recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`);
    const out = join(await tempDir(), 'out');
    await mergeInto(recipe, out, { gguf: { type: 'q8_0', maxFileBytes: 100_000 } });
    expect((await readdir(out)).filter((n) => PART.test(n)).length).toBeGreaterThan(1);
    await writeFile(join(out, 'my-own-model.gguf'), 'not ours');
    await writeFile(join(out, '.out-00002-of-00004.gguf.1a2b3c4d.partial'), new Uint8Array(1000));
    await mergeInto(recipe.replace('t: [0, 1]', 't: 0.5'), out);
    const fresh = join(await tempDir(), 'out');
    await mergeInto(recipe.replace('t: [0, 1]', 't: 0.5'), fresh);
    expect((await readdir(out)).sort()).toEqual(['my-own-model.gguf', ...(await readdir(fresh))].sort());
  });

  it('removes an interrupted GGUF export (parts and marker) and an earlier single-file GGUF that the new export does not replace', async () => {
    const recipe = slerp(`${models}/tiny/llama-bf16`, `${models}/tiny/llama-bf16-ft`);
    const out = join(await tempDir(), 'out');
    await cancelHalfWay(recipe, out);
    // A finished single-file GGUF of an even earlier run, named after the folder.
    await writeFile(join(out, 'out.gguf'), 'an earlier export');
    // Q8_0 in parts of the same size limit: fewer parts, so the f16 parts' names (…-of-00004) are not reused.
    const q8 = { type: 'q8_0', maxFileBytes: 100_000, only: true } as const;
    await mergeInto(recipe, out, { gguf: q8, resume: false });
    const fresh = join(await tempDir(), 'out');
    await mergeInto(recipe, fresh, { gguf: q8 });
    expect((await readdir(fresh)).filter((n) => n.endsWith('-of-00004.gguf'))).toEqual([]);
    expect((await readdir(out)).sort()).toEqual((await readdir(fresh)).sort());
    sameFolders(await snapshot(out), await snapshot(fresh));
  });
});
