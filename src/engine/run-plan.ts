/**
 * Runs a {@link MergePlan} on the CPU into an output folder: extra files first, then each shard tensor by tensor in
 * header order (streamed in chunks), the index last; a marker file says the folder is unfinished until the very end,
 * and lists finished shards with the run's fingerprint, so that a re-run with identical inputs, recipe, options and
 * tool version resumes after them (`output-folder.ts` decides, and clears an earlier model's files).
 */
import { AppError } from '../shared/errors';
import type { ModelFolder } from '../io/model/types';
import { encodeFromF32, floatBytes } from '../io/safetensors/codec';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import { encodeHeader, encodeIndex } from '../io/safetensors/layout';
import type { ShardPlan } from '../io/safetensors/layout';
import type { SafetensorsFileWriter } from '../io/safetensors/writer';
import type { GgufExportPlan } from '../io/gguf/export-plan';
import type { DirectorySink } from '../io/sink/byte-sink';
import { DEFAULT_IN_FLIGHT_BYTES, ENGINE_CHUNK_ELEMENTS, PRELOAD_BYTES, inFlightFootprint } from '../plan/memory';
import { slabBytesOf } from '../plan/slabs';
import { readsWhole } from '../plan/reads';
import type { MergePlan, PlannedTensor } from '../plan/types';
import type { EngineEventListener } from './api';
import type { Backend } from './backend';
import { BufferPool, Scratch, plainBuffers, sharedBuffers } from './buffer-pool';
import { createCpuBackend } from './cpu-backend';
import type { EvaluateOptions, Preloaded } from './evaluate';
import { checkCancelled, inPlaceOutput, preloadTensor, streamTensor } from './evaluate';
import { extraFileBytes } from './extra-files';
import type { ReadExtraFiles } from './extra-files';
import { GgufOutput, openPlanInput } from './gguf-output';
import type { Computed, TensorExecutor } from './tensor-executor';
import { CPU_COMPUTE_CHUNK_ELEMENTS, GPU_COMPUTE_CHUNK_ELEMENTS, GPU_TENSORS_AT_ONCE, inThreadExecutor } from './tensor-executor';
import { openOutput } from './output-folder';
import { fingerprintRun } from './run-fingerprint';
import type { InputHeaders, RunIdentity } from './run-fingerprint';

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onEvent?: EngineEventListener;
  /** Elements per chunk (default 1 Mi: 4 MiB of f32 per input). */
  readonly chunkElements?: number;
  /** Where the merge math runs (default: the CPU backend). */
  readonly backend?: Backend;
  /** Computes tensors (default: on this thread with `backend`); the Node CLI passes worker threads. */
  readonly executor?: TensorExecutor;
  /**
   * A tensor whose input bytes fit this budget is read whole once (every pass reuses the bytes) while the previous
   * tensor computes; larger tensors stream in chunks. Default 256 MiB.
   */
  readonly preloadBytes?: number;
  /**
   * Bytes of input and output buffers of the tensors in flight (loading, computing, waiting to be written): the next
   * tensor starts only while the total stays within it (one tensor is always admitted). Default
   * {@link DEFAULT_IN_FLIGHT_BYTES}.
   */
  readonly inFlightBytes?: number;
  /**
   * Keep shards an earlier run finished, provided its fingerprint (inputs, recipe, options, tool version, plan) is the
   * same; otherwise start over and say why in the `start` event.
   */
  readonly resume?: boolean;
  /** The tool version, recipe text and byte-changing options, for the fingerprint (default: from `metadata`). */
  readonly identity?: RunIdentity;
  /**
   * The headers the loader parsed (`parsedHeaders(inputs)`): a local input's header digest for the fingerprint comes
   * from there instead of a second read of the file.
   */
  readonly inputHeaders?: InputHeaders;
  /** Extra `__metadata__` entries of every shard (provenance). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The index's `mergekit_version`-style metadata. */
  readonly indexMetadata?: Readonly<Record<string, unknown>>;
  /**
   * Also (or, with `only`, instead) write this GGUF export in the same pass. A plan from `planGgufForMerge` carries the
   * config and tokenizer files it read; they are written from there, not read again.
   */
  readonly gguf?: { readonly plan: GgufExportPlan & { readonly readFiles?: ReadExtraFiles }; readonly only: boolean };
}

/** A tensor already written. */
const DONE: Promise<undefined> = Promise.resolve(undefined);
/** At most this many tensors in flight. */
const MAX_AHEAD = 32;
/** Progress events at most this often. */
const PROGRESS_INTERVAL_MS = 200;

export async function runPlan(plan: MergePlan, folders: ReadonlyMap<string, ModelFolder>, dir: DirectorySink, options: RunOptions = {}): Promise<string[]> {
  const started = performanceNow();
  const emit = options.onEvent ?? (() => undefined);
  const chunkElements = options.chunkElements ?? ENGINE_CHUNK_ELEMENTS;
  const shardsOnDisk = options.gguf?.only !== true;
  const shardPlan = shardsOnDisk ? toShardPlan(plan, options) : { shards: [], totalSize: 0, index: undefined };
  const identity = options.identity ?? { toolVersion: options.metadata?.['merge_studio_version'] ?? '', recipeText: options.metadata?.['merge_recipe'] ?? '' };
  const fingerprint = await fingerprintRun(plan, folders, identity, { metadata: options.metadata, index: options.indexMetadata }, options.signal, options.inputHeaders);
  // GGUF parts resume under the same rule as the shards: only when the fingerprint matched (its marker holds it too).
  const ggufRequest = options.gguf;
  const startGguf = ggufRequest === undefined ? undefined : (resume: boolean) => GgufOutput.start(dir, ggufRequest.plan, plan, { planId: planId(plan), fingerprint, resume });
  const { writer, gguf, restartReasons } = await openOutput(dir, shardPlan, fingerprint, options.resume === true, startGguf);
  const writesShard = (i: number) => shardsOnDisk && !writer.finishedShards.has(plan.shards[i]?.file ?? '');
  const needed = (t: PlannedTensor) => writesShard(t.shard) || gguf?.needs(t.name) === true;
  const resumed = [...writer.finishedShards];
  const bytesTotal = plan.tensors.filter(needed).reduce((s, t) => s + tensorBytes(t), 0);
  emit({ type: 'start', tensorCount: plan.tensors.length, bytesTotal, resumedShards: resumed, restartReasons });
  const open = (input: string, file: string) => openPlanInput(folders, input, file);
  // Workers that share memory compute in the pool's buffers where they lie (measured: the main thread's garbage
  // collection in a 2 × 500 MB slerp went from 580 ms to 26 ms: transferred buffers came back as new external memory).
  const pool = new BufferPool(undefined, options.executor?.sharesMemory === true ? sharedBuffers : plainBuffers);
  const backend = options.backend ?? createCpuBackend(pool);
  // A preloaded tensor computes on the CPU in small chunks, whose f32 results stay in the core's cache until encoded; on
  // the GPU in chunks of several sub-chunks, so that its staging ring stays full.
  const computeChunk = options.chunkElements ?? (backend.kind === 'cpu' ? CPU_COMPUTE_CHUNK_ELEMENTS : GPU_COMPUTE_CHUNK_ELEMENTS);
  const concurrency = backend.kind === 'cpu' ? 1 : GPU_TENSORS_AT_ONCE;
  const executor = options.executor ?? inThreadExecutor({ backend, pool, chunkElements: computeChunk, concurrency });
  const preloadBytes = options.preloadBytes ?? PRELOAD_BYTES;
  // Tensors still to write, in order. Up to `concurrency` of them compute while the next one loads.
  const shardTensors = plan.shards.map((_, i) => plan.tensors.filter((t) => t.shard === i));
  const todo = shardTensors.flatMap((tensors) => tensors.filter(needed));
  // Long reads of tensors read whole share buffers of one size: every free buffer fits the next tensor.
  const slabBytes = slabBytesOf(todo, preloadBytes);
  const launched: Promise<Computed | undefined>[] = [];
  const slots = new Semaphore(executor.concurrency);
  const launch = (k: number): Promise<Computed | undefined> => {
    const tensor = todo[k];
    if (tensor === undefined || !readsWhole(tensor, preloadBytes)) return Promise.resolve(undefined);
    const size = floatBytes(tensor.dtype, numel(tensor.shape));
    const promise = preloadTensor(tensor.expr, { open, pool, signal: options.signal, slabBytes }).then(async (preloaded) => {
      const out = inPlaceOutput(tensor, preloaded) ?? new Uint8Array(pool.acquire(size), 0, size);
      // The next tensor loads while this one computes, but no more tensors compute at once than the executor has
      // threads for.
      await slots.acquire();
      try {
        return await executor.compute(tensor, preloaded, out, options.signal);
      } catch (error) {
        releaseBuffers(pool, out, preloaded);
        throw error;
      } finally {
        slots.release();
      }
    });
    promise.catch(() => undefined);
    return promise;
  };
  // Tensors are written in plan order, so a small tensor behind a large one would leave a thread idle: tensors load
  // and compute ahead of the one being written while their buffers fit the in-flight budget (peak memory stays
  // near it whatever the model's size). Of tensors over a sixteenth of the budget, no more are in flight than keep
  // every thread busy with one loading: more only held buffers (a two-model 7B-shaped SLERP on two threads peaked at
  // 751 MB with up to 32 ahead, 685 MB with 3). Smaller ones go up to MAX_AHEAD, to hide each tensor's round trip.
  const budget = options.inFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES;
  const maxLarge = executor.concurrency + 1;
  // Each tensor's footprint walks its expression tree: computed once, not on every step of the loop below.
  const footprints = todo.map((t) => inFlightFootprint(t, preloadBytes, slabBytes));
  const large = footprints.map((bytes) => (bytes > budget / 16 ? 1 : 0));
  const ensureLaunched = (k: number) => {
    let held = 0;
    let heldLarge = 0;
    for (let j = k; j < launched.length; j++) {
      held += footprints[j] as number;
      heldLarge += large[j] as number;
    }
    while (launched.length < Math.min(todo.length, k + MAX_AHEAD)) {
      const next = launched.length;
      if (next > k && (held + (footprints[next] as number) > budget || heldLarge + (large[next] as number) > maxLarge)) break;
      held += footprints[next] as number;
      heldLarge += large[next] as number;
      launched.push(launch(next));
    }
  };
  try {
    for (const file of plan.extraFiles) {
      await writer.writeExtraFile(file.name, await extraFileBytes(file, open, options.signal, options.gguf?.plan.readFiles));
    }
    let bytesDone = 0;
    let tensorsDone = 0;
    let lastProgress = 0;
    const progress = (force: boolean) => {
      const now = performanceNow();
      if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? bytesDone / seconds : 0;
      emit({ type: 'progress', tensorsDone, tensorCount: plan.tensors.length, bytesDone, bytesTotal, bytesPerSecond: rate, etaSeconds: rate > 0 ? (bytesTotal - bytesDone) / rate : undefined });
    };
    let k = 0;
    for (const [i, shard] of plan.shards.entries()) {
      if (!(shardTensors[i] as PlannedTensor[]).some(needed)) {
        tensorsDone += shard.tensors.length;
        continue;
      }
      const output = teeOutput(writesShard(i) ? await writer.openShard(i) : undefined, gguf);
      for (const tensor of shardTensors[i] as PlannedTensor[]) {
        if (!needed(tensor)) {
          tensorsDone += 1;
          continue;
        }
        // Tensors computing in workers do not see the signal: a cancel takes effect here, before the next write.
        checkCancelled(options.signal);
        emit({ type: 'tensor', name: tensor.name, index: tensorsDone, shard: shard.file });
        ensureLaunched(k);
        const computed = await (launched[k] as Promise<Computed | undefined>);
        // Forget the result once taken: its buffers must be free to go when the pool lets them go.
        launched[k] = DONE;
        k += 1;
        if (computed === undefined) {
          // The tensors after it load and compute while this one streams; after a computed tensor, they start once
          // its buffers are back (the next turn of this loop), so the in-flight budget holds during the write.
          ensureLaunched(k);
          // Integer tensors, empty ones and those larger than the preload budget stream on this thread.
          await writeTensor(tensor, output, { open, chunkElements, signal: options.signal, backend, pool }, (n) => {
            bytesDone += n;
            progress(false);
          });
        } else {
          try {
            await output.write(tensor.name, computed.out);
            bytesDone += computed.out.byteLength;
            progress(false);
          } finally {
            releaseBuffers(pool, computed.out, computed.preloaded);
          }
        }
        tensorsDone += 1;
      }
      if (output.shard !== undefined) {
        await output.shard.finish();
        emit({ type: 'shard-written', file: shard.file });
      }
      progress(true);
    }
    emit({ type: 'finalizing' });
    await gguf?.finish();
    await writer.finish();
    await dir.removeTemporaries();
  } catch (error) {
    // Let computations in flight settle (their buffers return to the pool) before the folder is cleaned up.
    await Promise.allSettled(launched).then((results) =>
      results.forEach((r) => {
        if (r.status === 'fulfilled' && r.value !== undefined) r.value.preloaded.release();
      }),
    );
    await gguf?.abort();
    await writer.abort();
    // A read that the cancel aborted rejects with its own "Cancelled.": the run's error says what a cancel leaves.
    checkCancelled(options.signal);
    throw error;
  } finally {
    if (options.executor === undefined) await executor.dispose();
    if (options.backend === undefined) await backend.dispose();
    await Promise.all([...folders.values()].map((f) => f.close().catch(() => undefined)));
  }
  const files = await dir.list();
  emit({ type: 'done', files, seconds: (performanceNow() - started) / 1000 });
  return files;
}

async function writeTensor(
  tensor: PlannedTensor,
  output: { write(name: string, bytes: Uint8Array): Promise<void> },
  options: EvaluateOptions,
  progress: (bytes: number) => void,
): Promise<void> {
  const dtype = tensor.dtype;
  if (!isFloatDType(dtype)) {
    // Integer (and fp8) tensors are copied byte for byte from their input.
    if (tensor.expr.kind !== 'read') throw new AppError('E_INTERNAL', `Integer tensor ${tensor.name} must be a plain copy.`);
    const source = await options.open(tensor.expr.input, tensor.expr.file);
    const bytes = await source.read(tensor.expr.offset, tensor.expr.length, options.signal);
    await output.write(tensor.name, bytes);
    progress(bytes.byteLength);
    return;
  }
  if (numel(tensor.shape) === 0) {
    await output.write(tensor.name, new Uint8Array(0));
    return;
  }
  const encoded = new Scratch(options.pool);
  try {
    await streamTensor(tensor.expr, tensor.name, tensor.shape, { ...options, encodedAs: dtype }, async (values) => {
      const chunk = encoded.bytes(floatBytes(dtype, values.length));
      encodeFromF32(dtype, values, chunk);
      await output.write(tensor.name, chunk);
      progress(chunk.byteLength);
    });
  } finally {
    encoded.release();
  }
}

/** A computed tensor's buffers back to the pool: its inputs, and its output unless it was written over an input. */
function releaseBuffers(pool: BufferPool, out: Uint8Array, preloaded: Preloaded): void {
  if (out.buffer.byteLength > 0 && !preloaded.buffers.includes(out.buffer as ArrayBuffer)) pool.release(out.buffer as ArrayBuffer);
  preloaded.release();
}

/** Tensor bytes go to the shard being written (if any) and to the GGUF export (if any). */
function teeOutput(shard: SafetensorsFileWriter | undefined, gguf: GgufOutput | undefined) {
  return {
    shard,
    async write(name: string, bytes: Uint8Array): Promise<void> {
      await shard?.write(name, bytes);
      await gguf?.write(name, bytes);
    },
  };
}

/** The writer's view of the plan: the same shard files and header order, with provenance metadata. */
function toShardPlan(plan: MergePlan, options: RunOptions): ShardPlan {
  const byName = new Map(plan.tensors.map((t) => [t.name, t]));
  const metadata = { format: 'pt', ...(options.metadata ?? {}) };
  const shards = plan.shards.map((shard) => {
    const header = encodeHeader(shard.tensors.map((name) => byName.get(name) as PlannedTensor), metadata);
    return { file: shard.file, header, bytes: header.bytes.byteLength + header.dataBytes };
  });
  const totalSize = shards.reduce((s, x) => s + x.header.dataBytes, 0);
  const index = shards.length > 1 ? encodeIndex(shards, totalSize, options.indexMetadata ?? {}) : undefined;
  return { shards, totalSize, index };
}

/** At most `size` holders at once; the others wait in order. */
class Semaphore {
  private readonly waiting: (() => void)[] = [];

  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.free += 1;
    else next();
  }
}

function tensorBytes(tensor: PlannedTensor): number {
  return isFloatDType(tensor.dtype) ? floatBytes(tensor.dtype, numel(tensor.shape)) : tensor.expr.kind === 'read' ? tensor.expr.length : 0;
}

/** A stable id of the plan's content: a resume only reuses shards written for the very same plan. */
export function planId(plan: MergePlan): string {
  const text = JSON.stringify({ tensors: plan.tensors, shards: plan.shards });
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return `${(h1 >>> 0).toString(16).padStart(8, '0')}${(h2 >>> 0).toString(16).padStart(8, '0')}`;
}

function performanceNow(): number {
  return globalThis.performance.now();
}
