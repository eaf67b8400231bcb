/**
 * Fault matrix in Chromium: the File System Access sink (over OPFS, the same code path as a picked folder). Writing
 * over an earlier model through the studio's run service removes the old model's files and keeps the user's; a write
 * that fails mid-run (permission revoked, quota) stops with a typed error and leaves nothing that looks finished.
 */
import { describe, expect, it } from 'vitest';

import type { EngineEvent } from '../../src/engine/api';
import { runRequest } from '../../src/engine/service';
import { loadInputs } from '../../src/engine/load-inputs';
import { runPlan } from '../../src/engine/run-plan';
import { memoryFolder } from '../../src/io/model/memory-folder';
import { INDEX_FILE } from '../../src/io/safetensors/shard-index';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import { FsAccessDirectorySink } from '../../src/io/sink/fs-access-sink';
import { MemoryDirectorySink } from '../../src/io/sink/memory-sink';
import { compilePlan } from '../../src/plan/compile';
import { parseRecipe } from '../../src/recipe/parse';
import { AppError } from '../../src/shared/errors';
import { fixtureById, writeFixture } from '../fixtures/standard';

const RECIPE = 'merge_method: slerp\nbase_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16-ft\nparameters:\n  t: [0, 1]\ndtype: bfloat16\n';

let counter = 0;
async function opfsFolder(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(`faults-${Date.now()}-${++counter}`, { create: true });
}

async function names(dir: FileSystemDirectoryHandle): Promise<string[]> {
  const out: string[] = [];
  for await (const name of dir.keys()) out.push(name);
  return out.sort();
}

async function put(dir: FileSystemDirectoryHandle, name: string, text: string): Promise<void> {
  const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
  await writable.write(text);
  await writable.close();
}

async function files(id: string): Promise<File[]> {
  const dir = new MemoryDirectorySink();
  await writeFixture(dir, fixtureById(id));
  return [...dir.files].map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name, { lastModified: 1 }));
}

async function run(directory: FileSystemDirectoryHandle, output: { maxShardBytes?: number }, allowOverwrite: boolean): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  await runRequest(
    {
      runId: 'r',
      recipeText: RECIPE,
      sources: { 'tiny/llama-bf16': { kind: 'files', name: 'tiny/llama-bf16', files: await files('tiny/llama-bf16') }, 'tiny/llama-bf16-ft': { kind: 'files', name: 'tiny/llama-bf16-ft', files: await files('tiny/llama-bf16-ft') } },
      hub: { endpoint: 'http://127.0.0.1:9' },
      output: { name: 'out', ...output },
      directory,
      resume: false,
      allowOverwrite,
    },
    (event) => events.push(event),
  );
  return events;
}

/**
 * The folder as a File System Access handle whose writable streams fail once `budget` bytes were written, with the
 * DOMException a revoked permission gives.
 */
function failingFolder(real: FileSystemDirectoryHandle, budget: number, error: () => DOMException): FileSystemDirectoryHandle {
  let left = budget;
  const wrapFile = (file: FileSystemFileHandle): FileSystemFileHandle =>
    new Proxy(file, {
      get(target, prop) {
        if (prop === 'createWritable') {
          return async (...args: Parameters<FileSystemFileHandle['createWritable']>) => {
            const writable = await target.createWritable(...args);
            return new Proxy(writable, {
              get(w, p) {
                if (p === 'write') {
                  return async (chunk: Uint8Array) => {
                    if (left < chunk.byteLength) throw error();
                    left -= chunk.byteLength;
                    await w.write(chunk as Uint8Array<ArrayBuffer>);
                  };
                }
                const value: unknown = Reflect.get(w, p);
                return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(w) : value;
              },
            });
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'getFileHandle') return async (name: string, options?: FileSystemGetFileOptions) => wrapFile(await target.getFileHandle(name, options));
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('faults: the File System Access output folder', () => {
  it('over an earlier sharded model, removes its index, shards and leftovers and keeps the user files', async () => {
    const dir = await opfsFolder();
    await run(dir, { maxShardBytes: 100_000 }, false);
    expect(await names(dir)).toContain(INDEX_FILE);
    await put(dir, 'notes.txt', 'mine');
    await put(dir, '.model-00002-of-00004.safetensors.abcd1234.partial', 'half');
    await expect(run(dir, {}, false)).rejects.toMatchObject({ code: 'E_OUTPUT_NOT_EMPTY' });
    await run(dir, {}, true);
    const after = await names(dir);
    expect(after).toContain('model.safetensors');
    expect(after).toContain('notes.txt');
    expect(after.filter((n) => n.startsWith('model-') || n === INDEX_FILE || n === PARTIAL_MARKER || n.endsWith('.partial'))).toEqual([]);
  });

  it.each([
    ['the permission is revoked mid-run', () => new DOMException('The request is not allowed by the user agent.', 'NotAllowedError'), /no longer has permission/],
    ['the storage quota runs out mid-run', () => new DOMException('The quota has been exceeded.', 'QuotaExceededError'), /storage quota is full/],
  ])('stops with a typed error when %s, leaving nothing that looks finished', async (_what, error, hint) => {
    const recipe = parseRecipe(RECIPE);
    const sources: Record<string, Map<string, Uint8Array>> = {};
    for (const id of ['tiny/llama-bf16', 'tiny/llama-bf16-ft']) {
      const dir = new MemoryDirectorySink();
      await writeFixture(dir, fixtureById(id));
      sources[id] = dir.files;
    }
    const inputs = await loadInputs(recipe, (path) => Promise.resolve(memoryFolder(path, sources[path] as Map<string, Uint8Array>)));
    const plan = compilePlan({ recipe, recipeText: RECIPE, models: inputs.models, maxShardBytes: 100_000 });
    const real = await opfsFolder();
    const sink = new FsAccessDirectorySink(failingFolder(real, 150_000, error), 'out');
    const failure = await runPlan(plan, inputs.folders, sink).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'E_SINK_WRITE', context: { file: expect.stringMatching(/^model-0000\d-of-00004\.safetensors$/) }, hint: expect.stringMatching(hint) });
    const left = await names(real);
    expect(left).toContain(PARTIAL_MARKER);
    expect(left).not.toContain(INDEX_FILE);
    expect(left.filter((n) => n.endsWith('.partial') || n.endsWith('.crswap'))).toEqual([]);
  });
});
