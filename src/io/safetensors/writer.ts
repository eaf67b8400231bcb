import { AppError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import type { DirectorySink, FileSink } from '../sink/byte-sink';
import { writeWholeFile } from '../sink/byte-sink';
import { TensorStream } from '../sink/tensor-stream';
import type { StreamedTensor } from '../sink/tensor-stream';
import type { EncodedHeader, ShardPlan } from './layout';
import { INDEX_FILE } from './shard-index';
import type { TensorInfo } from './types';

/**
 * Streams one safetensors file: the header first, then tensor bytes strictly in header order, in chunks of any size
 * (see {@link TensorStream}); the file publishes when it finishes complete.
 */
export class SafetensorsFileWriter {
  private constructor(
    private readonly sink: FileSink,
    private readonly stream: TensorStream<TensorInfo & StreamedTensor>,
    private readonly onFinished: () => Promise<void>,
  ) {}

  static async open(
    sink: FileSink,
    header: EncodedHeader,
    onFinished: () => Promise<void> = () => Promise.resolve(),
  ): Promise<SafetensorsFileWriter> {
    await sink.write(header.bytes);
    const tensors = header.tensors.map((t) => ({ ...t, bytes: t.end - t.begin }));
    return new SafetensorsFileWriter(sink, new TensorStream(sink, tensors), onFinished);
  }

  get file(): string {
    return this.sink.name;
  }

  /** The tensor the next bytes belong to, or `undefined` when all are written. */
  get expectedTensor(): TensorInfo | undefined {
    return this.stream.next;
  }

  /** Appends bytes of tensor `name`; a tensor may arrive in any number of chunks. */
  write(name: string, chunk: Uint8Array): Promise<void> {
    return this.stream.write(name, chunk);
  }

  /** Checks that every tensor is complete, then publishes the file. */
  async finish(): Promise<void> {
    await this.stream.finish();
    await this.onFinished();
  }

  abort(): Promise<void> {
    return this.stream.abort();
  }
}

/** Present while a merge is writing into a folder: the folder is not a finished model. Doubles as the resume manifest. */
export const PARTIAL_MARKER = 'merge-studio-partial.json';

export interface OutputManifest {
  /**
   * What the finished files were computed from (inputs, recipe, options, tool version), as the engine describes it:
   * a resume keeps them only when the new run's fingerprint is the same. Undefined in a damaged or older manifest.
   */
  readonly fingerprint: unknown;
  /** Every shard file of the planned output. */
  readonly shards: readonly string[];
  /** Output files that are complete and may be kept by a resume (today shards; other formats may add theirs). */
  readonly finished: readonly string[];
}

/**
 * Writes a whole model folder from a {@link ShardPlan} so that an interrupted run never looks complete: a marker file
 * (`merge-studio-partial.json`) is written first and removed last; each shard publishes atomically when it finishes
 * (the sink's contract) and is then recorded in the marker; the index goes last of all.
 */
export class ModelOutputWriter {
  private readonly finished = new Set<string>();
  private open: SafetensorsFileWriter | undefined;

  private constructor(
    private readonly dir: DirectorySink,
    private readonly plan: ShardPlan,
    private readonly fingerprint: unknown,
  ) {}

  /**
   * Starts writing. `keep` names shards an earlier run of the same fingerprint finished (the caller checked); they
   * are kept when they are still in the folder. `fingerprint` is stored in the manifest for the next run to compare.
   */
  static async start(
    dir: DirectorySink,
    plan: ShardPlan,
    options: { readonly fingerprint: unknown; readonly keep?: Iterable<string> },
  ): Promise<ModelOutputWriter> {
    const writer = new ModelOutputWriter(dir, plan, options.fingerprint);
    const planned = new Set(plan.shards.map((shard) => shard.file));
    const present = new Set(await dir.list());
    for (const file of options.keep ?? []) if (planned.has(file) && present.has(file)) writer.finished.add(file);
    await writer.saveManifest();
    return writer;
  }

  /** Shard files that are already complete (after a resume). */
  get finishedShards(): ReadonlySet<string> {
    return this.finished;
  }

  async openShard(i: number): Promise<SafetensorsFileWriter> {
    const shard = this.plan.shards[i];
    if (shard === undefined) throw new AppError('E_INTERNAL', `No shard ${i} in the plan.`);
    if (this.open !== undefined) throw new AppError('E_WRITER_ORDER', `${this.open.file} is still open.`);
    const sink = await this.dir.createFile(shard.file);
    this.open = await SafetensorsFileWriter.open(sink, shard.header, async () => {
      this.open = undefined;
      this.finished.add(shard.file);
      await this.saveManifest();
    });
    return this.open;
  }

  /** config.json, tokenizer files, README.md… Write them before the last shard finishes. */
  async writeExtraFile(name: string, bytes: Uint8Array): Promise<void> {
    await writeWholeFile(this.dir, name, bytes);
  }

  /** Writes the index (when sharded) and removes the marker: from here on the folder is a complete model. */
  async finish(): Promise<void> {
    const missing = this.plan.shards.filter((shard) => !this.finished.has(shard.file));
    if (missing.length > 0) {
      throw new AppError('E_WRITER_ORDER', `Cannot finish: ${missing.map((s) => s.file).join(', ')} not written.`);
    }
    if (this.plan.index !== undefined) await writeWholeFile(this.dir, INDEX_FILE, this.plan.index);
    await this.dir.remove(PARTIAL_MARKER);
  }

  /** Drops the shard being written; finished shards and the marker stay, so a later run can resume. */
  async abort(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    await open?.abort();
  }

  private async saveManifest(): Promise<void> {
    const manifest: OutputManifest = {
      fingerprint: this.fingerprint,
      shards: this.plan.shards.map((shard) => shard.file),
      finished: this.plan.shards.map((shard) => shard.file).filter((file) => this.finished.has(file)),
    };
    await writeWholeFile(this.dir, PARTIAL_MARKER, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  }
}

/** The marker of an unfinished run in `dir`, or `undefined` when there is none (or it is unreadable). */
export async function readOutputManifest(dir: DirectorySink): Promise<OutputManifest | undefined> {
  const bytes = await dir.readFile(PARTIAL_MARKER);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (isPlainObject(value) && isStringArray(value['shards']) && isStringArray(value['finished'])) {
      return { fingerprint: value['fingerprint'], shards: value['shards'], finished: value['finished'] };
    }
  } catch {
    // A damaged marker means: nothing can be reused. The folder still counts as unfinished.
  }
  return { fingerprint: undefined, shards: [], finished: [] };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
