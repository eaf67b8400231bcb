/**
 * Shared by the fault-matrix tests: real model folders on disk, merges run the way the CLI runs them (headers through
 * the engine's loader, the plan, `runPlan` into a Node folder, resuming when the folder holds an unfinished merge),
 * and checks that an output folder does not look like a finished model.
 */
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { afterAll } from 'vitest';

import type { EngineEvent } from '../../src/engine/api';
import { openPlanInput, planGgufForMerge } from '../../src/engine/gguf-output';
import type { GgufOutputType } from '../../src/io/gguf/types';
import { loadInputs, parsedHeaders } from '../../src/engine/load-inputs';
import type { ResolveFolder } from '../../src/engine/load-inputs';
import { runPlan } from '../../src/engine/run-plan';
import { openNodeFolder } from '../../src/io/model/node-folder';
import { INDEX_FILE } from '../../src/io/safetensors/shard-index';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import type { DirectorySink } from '../../src/io/sink/byte-sink';
import { NodeDirectorySink } from '../../src/io/sink/node-directory-sink';
import { compilePlan } from '../../src/plan/compile';
import { provenanceMetadata } from '../../src/plan/describe';
import { parseRecipe } from '../../src/recipe/parse';
import { AppError } from '../../src/shared/errors';
import { writeFixtureTree } from '../fixtures/node-fixtures';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test file. */
export async function tempDir(prefix = 'faults-'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  roots.push(root);
  return root;
}

/** The standard fixtures written under a fresh folder as `root/owner/name/`. */
export async function fixtureTree(): Promise<string> {
  return writeFixtureTree(await tempDir('faults-models-'));
}

/** A copy of fixture model `id` under `models` (from `fixtureTree()`) that a test may change. */
export async function copyModel(models: string, id: string): Promise<string> {
  const dir = join(await tempDir('faults-input-'), id.split('/')[1] as string);
  await cp(join(models, id), dir, { recursive: true });
  return dir;
}

/** A run's `start` event. */
export const startOf = (events: EngineEvent[]) => events.find((e) => e.type === 'start') as Extract<EngineEvent, { type: 'start' }>;

export const slerp = (base: string, other: string, dtype = 'bfloat16') =>
  `merge_method: slerp\nbase_model: ${base}\nmodels:\n  - model: ${other}\nparameters:\n  t: [0, 1]\ndtype: ${dtype}\n`;

export interface MergeOptions {
  readonly shardBytes?: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly toolVersion?: string;
  /** Folders by recipe path (default: local folders on disk). */
  readonly resolve?: ResolveFolder;
  /** The output folder (default: a Node folder at `out`). */
  readonly sink?: DirectorySink;
  readonly onEvent?: (event: EngineEvent) => void;
  /** The engine's whole-tensor preload budget (0: every tensor streams when it is written). */
  readonly preloadBytes?: number;
  /** A GGUF export named after the folder, as `--format gguf|both --gguf-type T [--gguf-split-size N]` does. */
  readonly gguf?: { readonly type: GgufOutputType; readonly maxFileBytes?: number; readonly only?: boolean };
  /** Resume (default: when the folder holds an unfinished merge's marker, as the CLI decides). */
  readonly resume?: boolean;
}

/** Runs `recipeText` into `out` like `npm run merge` does (resuming an unfinished folder); returns the engine events. */
export async function mergeInto(recipeText: string, out: string, options: MergeOptions = {}): Promise<EngineEvent[]> {
  const recipe = parseRecipe(recipeText);
  const inputs = await loadInputs(recipe, options.resolve ?? ((path) => openNodeFolder(path)), options.signal);
  const toolVersion = options.toolVersion ?? '0.1.0';
  const plan = compilePlan({
    recipe,
    recipeText,
    models: inputs.models,
    adapters: inputs.adapters,
    ...(options.shardBytes === undefined ? {} : { maxShardBytes: options.shardBytes }),
    seed: options.seed ?? 0,
    outputName: basename(out),
    toolVersion: `merge-studio ${toolVersion}`,
  });
  const gguf =
    options.gguf === undefined
      ? undefined
      : await planGgufForMerge(plan, (input, file) => openPlanInput(inputs.folders, input, file), {
          type: options.gguf.type,
          name: basename(out),
          ...(options.gguf.maxFileBytes === undefined ? {} : { maxFileBytes: options.gguf.maxFileBytes }),
        });
  const format = options.gguf === undefined ? 'safetensors' : options.gguf.only === true ? 'gguf' : 'both';
  const sink = options.sink ?? (await NodeDirectorySink.open(out, { create: true }));
  const events: EngineEvent[] = [];
  await runPlan(plan, inputs.folders, sink, {
    ...(gguf === undefined ? {} : { gguf: { plan: gguf, only: options.gguf?.only === true } }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    resume: options.resume ?? (await sink.list()).includes(PARTIAL_MARKER),
    ...(options.preloadBytes === undefined ? {} : { preloadBytes: options.preloadBytes }),
    identity: {
      toolVersion,
      recipeText,
      options: { 'out-shard-size': options.shardBytes ?? null, seed: options.seed ?? 0, format, 'gguf-type': options.gguf?.type ?? null, 'gguf-split-size': options.gguf?.maxFileBytes ?? null },
    },
    metadata: provenanceMetadata(plan, recipeText, toolVersion),
    indexMetadata: { mergekit_version: `merge-studio ${toolVersion}` },
    inputHeaders: parsedHeaders(inputs),
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  return events;
}

/** The rejection of `promise` as an AppError (fails the test when it resolves or rejects with something else). */
export async function appError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw new Error(`expected an AppError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection');
}

/** Every file of a folder (hidden ones included, subfolders not) with its bytes. */
export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  for (const name of files.sort()) out.set(name, await readFile(join(dir, name)));
  return out;
}

/** Asserts two folders hold the same file names with the same bytes; returns the names. */
export function sameFolders(a: ReadonlyMap<string, Buffer>, b: ReadonlyMap<string, Buffer>): string[] {
  const names = [...a.keys()];
  if (JSON.stringify(names) !== JSON.stringify([...b.keys()])) throw new Error(`different files: ${names.join(', ')} vs ${[...b.keys()].join(', ')}`);
  for (const name of names) if (!(a.get(name) as Buffer).equals(b.get(name) as Buffer)) throw new Error(`${name} differs`);
  return names;
}

/**
 * A folder a loader could take for a finished model has weights and no marker: either `model.safetensors` or an
 * index. This is true when the folder is safe: nothing there, or the marker says it is unfinished.
 */
export async function looksUnfinishedOrEmpty(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const weights = names.some((n) => n === 'model.safetensors' || n === INDEX_FILE || /\.safetensors$/.test(n));
  return !weights || names.includes(PARTIAL_MARKER);
}
