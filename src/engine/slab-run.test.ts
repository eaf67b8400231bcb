import { describe, expect, it } from 'vitest';

import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import { observedFolder } from '../io/model/observed-folder.test-support';
import type { Model, ModelFolder } from '../io/model/types';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { compilePlan, inputKey, referencedInputs } from '../plan/compile';
import { distinctReads } from '../plan/reads';
import { PRELOAD_BYTES } from '../plan/memory';
import { layoutReads, slabBytesOf } from '../plan/slabs';
import type { MergePlan } from '../plan/types';
import { parseRecipe } from '../recipe/parse';
import { safetensorsFile } from './lens.test-support';
import type { StoredTensor } from './lens.test-support';
import { createNodeWorkerExecutor } from './node-worker-executor';
import { runPlan } from './run-plan';
import type { RunOptions } from './run-plan';

const MiB = 1024 * 1024;

/** bf16 bytes of `count` values in ±[2^-8, 2^-6), from a seeded generator (no NaN or infinity). */
function bf16Values(count: number, seed: number): Uint8Array {
  const bits = new Uint16Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bits[i] = (s >>> 31) << 15 | (0x77 + ((s >>> 7) & 1)) << 7 | ((s >>> 8) & 0x7f);
  }
  return new Uint8Array(bits.buffer);
}

/**
 * Reads long enough for slabs: "wide" is two 34 MiB reads (the slab), "mid" two 17 MiB reads that share one slab,
 * "norm" short reads with buffers of their own.
 */
const SHAPES: readonly (readonly [string, readonly [number, number]])[] = [
  ['model.layers.0.mlp.wide.weight', [4352, 4096]],
  ['model.layers.0.self_attn.mid.weight', [2176, 4096]],
  ['model.layers.0.input_layernorm.weight', [1, 4096]],
];

function folder(ref: string, seed: number): ModelFolder {
  const tensors: StoredTensor[] = SHAPES.map(([name, shape], i) => ({ name, dtype: 'BF16', shape, bytes: bf16Values(shape[0] * shape[1], seed * 31 + i) }));
  return memoryFolder(ref, new Map([['model.safetensors', safetensorsFile(tensors)]]));
}

const RECIPE = `merge_method: slerp
base_model: slab-a
models:
  - model: slab-b
parameters:
  t: 0.3
dtype: bfloat16
`;

/** A long read into a buffer the engine handed over: where it landed. */
interface Landed {
  readonly length: number;
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
}

/** `folder` with every read into a caller's buffer of more than 16 MiB noted in `landed`. */
function noting(folder: ModelFolder, landed: Landed[]): ModelFolder {
  return observedFolder(folder, () => (_offset, length, into) => {
    if (into !== undefined && length > 16 * MiB) landed.push({ length, buffer: into.buffer, byteOffset: into.byteOffset });
  });
}

async function prepare(landed: Landed[] = []): Promise<{ plan: MergePlan; folders: Map<string, ModelFolder> }> {
  const recipe = parseRecipe(RECIPE);
  const folders = new Map<string, ModelFolder>();
  const models = new Map<string, Model>();
  for (const [i, ref] of referencedInputs(recipe).models.entries()) {
    const f = folder(ref.path, i + 1);
    folders.set(inputKey(ref), noting(f, landed));
    models.set(inputKey(ref), await loadModel(f));
  }
  return { plan: compilePlan({ recipe, recipeText: RECIPE, models }), folders };
}

async function merge(options: Omit<RunOptions, 'onEvent'>, landed?: Landed[]): Promise<Buffer> {
  const { plan, folders } = await prepare(landed);
  const out = new MemoryDirectorySink('out');
  await runPlan(plan, folders, out, options);
  return Buffer.from(out.files.get('model.safetensors') as Uint8Array);
}

describe('runPlan with slabs (reads longer than 16 MiB share buffers of one size)', () => {
  it('lays the plan out as intended: the longest read is the slab, the two 17 MiB reads share one', async () => {
    const { plan } = await prepare();
    const slab = slabBytesOf(plan.tensors, PRELOAD_BYTES);
    expect(slab).toBe(34 * MiB);
    const mid = plan.tensors.find((t) => t.name.includes('.mid.'));
    expect(layoutReads(distinctReads(mid!.expr), slab).slabs.map((s) => s.map((r) => r.offset))).toEqual([[0, 17 * MiB]]);
  });

  it('gives the same bytes from slabs as streamed chunk by chunk, in this thread and on worker threads, shared or transferred', async () => {
    const streamed = await merge({ preloadBytes: 0, chunkElements: 1 << 16 });
    const landed: Landed[] = [];
    expect((await merge({}, landed)).equals(streamed)).toBe(true);
    // The engine read every long range into a 34 MiB slab, and both 17 MiB reads into one, one after the other.
    expect(landed.map((l) => l.buffer.byteLength)).toEqual(landed.map(() => 34 * MiB));
    const mids = landed.filter((l) => l.length === 17 * MiB);
    expect(mids).toHaveLength(2);
    expect(mids[0]?.buffer).toBe(mids[1]?.buffer);
    expect(mids.map((l) => l.byteOffset).sort((x, y) => x - y)).toEqual([0, 17 * MiB]);
    // Shared memory (Node, a cross-origin isolated page) and transfers (a page that is not isolated): a slab holding two
    // reads moves to a thread and back whole.
    for (const sharesMemory of [true, false]) {
      const executor = createNodeWorkerExecutor({ threads: 2, sharesMemory });
      try {
        expect(executor.sharesMemory).toBe(sharesMemory);
        expect((await merge({ executor })).equals(streamed)).toBe(true);
      } finally {
        await executor.dispose();
      }
    }
  }, 120_000);
});
