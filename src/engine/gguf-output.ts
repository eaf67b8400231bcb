/**
 * The GGUF side of a run: plans the export from the merge plan (before any weight moves) and, during the run, takes
 * each tensor's bytes as they are written to the safetensors shards (or instead of them), decodes them to f32,
 * reorders q/k rows, encodes to the GGUF type and streams them into the `.gguf` file(s). Finished files are listed in
 * their own marker (`merge-studio-gguf-partial.json`, with the run fingerprint) so a re-run of the same plan, inputs,
 * options and tool keeps them.
 */
import { AppError } from '../shared/errors';
import { isPlainObject } from '../shared/json';
import type { GgufExportPlan } from '../io/gguf/export-plan';
import type { GgufFileLayout } from '../io/gguf/layout';
import { planGgufExport } from '../io/gguf/export-plan';
import { GgufRowStream } from '../io/gguf/encode';
import { GgufFileWriter } from '../io/gguf/writer';
import type { GgufOutputType } from '../io/gguf/types';
import { decodeToF32 } from '../io/safetensors/codec';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import type { FloatDType } from '../io/safetensors/dtype';
import type { DirectorySink } from '../io/sink/byte-sink';
import { writeWholeFile } from '../io/sink/byte-sink';
import type { MergePlan } from '../plan/types';
import type { ModelFolder } from '../io/model/types';
import type { ByteSource } from '../io/source/byte-source';
import type { InputOpener, ReadExtraFiles } from './extra-files';
import { extraFileBytes, extraFileKey } from './extra-files';
import { fingerprintChanges } from './run-fingerprint';
import type { RunFingerprint } from './run-fingerprint';

export const GGUF_MARKER = 'merge-studio-gguf-partial.json';

const DECODE_ELEMENTS = 1 << 18;

export interface GgufRequest {
  readonly type: GgufOutputType;
  /** Split into parts above this many bytes (gguf-split naming). */
  readonly maxFileBytes?: number;
  /** File name prefix and `general.name` (default: `model`). */
  readonly name?: string;
}

/** Opens a file of a plan input from the run's open folders. */
export function openPlanInput(folders: ReadonlyMap<string, ModelFolder>, input: string, file: string): Promise<ByteSource> {
  const folder = folders.get(input);
  if (folder === undefined) return Promise.reject(new AppError('E_INTERNAL', `Input ${input} is not open.`));
  return folder.open(file);
}

/**
 * A GGUF export planned for a merge, with the output files the planner read (config and tokenizer files, as the run
 * writes them): the run takes them from here instead of reading them again (from the Hub, a second download).
 */
export interface MergeGgufPlan extends GgufExportPlan {
  readonly readFiles: ReadExtraFiles;
}

/** Plans the GGUF export of `plan`; refuses (typed) a model, tensor or tokenizer the export cannot write. */
export async function planGgufForMerge(plan: MergePlan, open: InputOpener, request: GgufRequest): Promise<MergeGgufPlan> {
  const files: Record<'config.json' | 'tokenizer.json' | 'tokenizer_config.json', string | undefined> = { 'config.json': undefined, 'tokenizer.json': undefined, 'tokenizer_config.json': undefined };
  let tokenizerModel: Uint8Array | undefined;
  const read = new Map<string, Uint8Array>();
  for (const file of plan.extraFiles) {
    if (!Object.hasOwn(files, file.name) && file.name !== 'tokenizer.model') continue;
    const bytes = await extraFileBytes(file, open);
    if (file.kind === 'copy') read.set(extraFileKey(file), bytes);
    if (file.name === 'tokenizer.model') tokenizerModel = bytes;
    else files[file.name as keyof typeof files] = new TextDecoder().decode(bytes);
  }
  for (const t of plan.tensors) {
    if (!isFloatDType(t.dtype)) throw new AppError('E_UNSUPPORTED', `Cannot export GGUF: tensor ${t.name} is ${t.dtype}, not a float tensor.`, { context: { tensor: t.name } });
  }
  const name = request.name ?? 'model';
  const exported = planGgufExport({
    prefix: name,
    name,
    type: request.type,
    ...(request.maxFileBytes === undefined ? {} : { maxFileBytes: request.maxFileBytes }),
    files,
    ...(tokenizerModel === undefined ? {} : { tokenizerModel }),
    tensors: plan.tensors,
    parents: plan.inputs.map((i) => ({ ref: i.ref, hub: i.kind === 'hub' })),
  });
  return { ...exported, readFiles: read };
}

interface Current {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly count: number;
  seen: number;
  readonly stream: GgufRowStream;
  readonly file: number;
}

export class GgufOutput {
  private readonly finished = new Set<string>();
  private readonly dtypes: ReadonlyMap<string, FloatDType>;
  private writer: { index: number; file: GgufFileWriter } | undefined;
  private current: Current | undefined;

  private constructor(
    private readonly dir: DirectorySink,
    private readonly plan: GgufExportPlan,
    private readonly id: string,
    merge: MergePlan,
    private readonly fingerprint: RunFingerprint,
  ) {
    this.dtypes = new Map(merge.tensors.map((t) => [t.name, t.dtype as FloatDType]));
  }

  /**
   * Starts the export into `dir`. With `resume`, keeps the files an earlier run of the same plan and the same run
   * fingerprint finished (the marker stores both); any other earlier file is written again.
   */
  static async start(
    dir: DirectorySink,
    plan: GgufExportPlan,
    merge: MergePlan,
    options: { readonly planId: string; readonly fingerprint: RunFingerprint; readonly resume: boolean },
  ): Promise<GgufOutput> {
    const id = `${options.planId}:${plan.type}:${plan.files.map((f) => `${f.file}=${f.bytes}`).join(',')}`;
    const output = new GgufOutput(dir, plan, id, merge, options.fingerprint);
    if (options.resume) {
      const marker = await readGgufMarker(dir);
      const present = new Set(await dir.list());
      if (marker !== undefined && marker.planId === id && fingerprintChanges(marker.fingerprint, options.fingerprint).length === 0) {
        for (const f of marker.finished) if (present.has(f)) output.finished.add(f);
      }
    }
    await output.save();
    return output;
  }

  /** Files of the export that are complete (kept from an earlier run, or written by this one). */
  get finishedFiles(): ReadonlySet<string> {
    return this.finished;
  }

  /** Files of the export, and whether each is already complete. */
  get files(): readonly string[] {
    return this.plan.files.map((f) => f.file);
  }

  /** Whether the GGUF still needs this tensor's bytes. */
  needs(tensor: string): boolean {
    const t = this.plan.tensors.get(tensor);
    return t !== undefined && !this.finished.has(this.plan.files[t.file]?.file ?? '');
  }

  /** Bytes of tensor `name` as written to safetensors (its plan dtype); chunks arrive in order. */
  async write(name: string, chunk: Uint8Array): Promise<void> {
    if (!this.needs(name)) return;
    const current = this.current?.name === name ? this.current : await this.begin(name);
    // A whole preloaded tensor arrives as one chunk: decode it a slice at a time to keep the f32 copy small.
    const width = current.dtype === 'F32' ? 4 : 2;
    const values = new Float32Array(Math.min(DECODE_ELEMENTS, chunk.byteLength / width));
    for (let at = 0; at < chunk.byteLength; at += values.length * width) {
      const slice = values.subarray(0, Math.min(values.length, (chunk.byteLength - at) / width));
      decodeToF32(current.dtype, chunk.subarray(at, at + slice.length * width), slice);
      current.seen += slice.length;
      await current.stream.push(slice);
    }
    if (current.seen === current.count) {
      this.current = undefined;
      const open = this.writer;
      if (open !== undefined && open.file.complete) {
        this.writer = undefined;
        await open.file.finish();
        this.finished.add(open.file.file);
        await this.save();
      }
    }
  }

  private async begin(name: string): Promise<Current> {
    if (this.current !== undefined) throw new AppError('E_WRITER_ORDER', `Internal error: GGUF tensor ${this.current.name} is incomplete when ${name} starts.`);
    const t = this.plan.tensors.get(name);
    if (t === undefined) throw new AppError('E_INTERNAL', `No GGUF tensor for ${name}.`);
    if (this.writer?.index !== t.file) {
      if (this.writer !== undefined) throw new AppError('E_WRITER_ORDER', `Internal error: ${this.writer.file.file} is incomplete when ${name} starts.`);
      const layout = this.plan.files[t.file];
      if (layout === undefined) throw new AppError('E_INTERNAL', `No GGUF file ${t.file}.`);
      // A first part that holds only generated tensors (a split right after rope_freqs) is written on the way.
      for (let j = 0; j < t.file; j++) {
        const part = this.plan.files[j] as GgufFileLayout;
        if (this.finished.has(part.file) || part.tensors.some((x) => !this.isGenerated(x.name))) continue;
        const only = await GgufFileWriter.open(await this.dir.createFile(part.file), part);
        await this.writeGenerated(only);
        await only.finish();
        this.finished.add(part.file);
        await this.save();
      }
      this.writer = { index: t.file, file: await GgufFileWriter.open(await this.dir.createFile(layout.file), layout) };
      if (t.file === 0) await this.writeGenerated(this.writer.file);
    }
    const file = this.writer.file;
    const count = numel([...t.ne]);
    const stream = new GgufRowStream({ type: t.type, count, cols: t.ne[0] ?? 1, ...(t.rowsPerHead === undefined ? {} : { rowsPerHead: t.rowsPerHead }) }, (bytes) => file.write(t.name, bytes));
    this.current = { name, dtype: this.dtypes.get(name) ?? 'F32', count, seen: 0, stream, file: t.file };
    return this.current;
  }

  private isGenerated(name: string): boolean {
    return this.plan.generated.some((g) => g.name === name);
  }

  private async writeGenerated(file: GgufFileWriter): Promise<void> {
    for (const g of this.plan.generated) await file.write(g.name, new Uint8Array(g.values.buffer, g.values.byteOffset, g.values.byteLength));
  }

  /** Checks every file is complete and removes the marker. */
  async finish(): Promise<void> {
    const missing = this.plan.files.filter((f) => !this.finished.has(f.file));
    if (missing.length > 0) throw new AppError('E_WRITER_ORDER', `Cannot finish: ${missing.map((f) => f.file).join(', ')} not written.`);
    await this.dir.remove(GGUF_MARKER);
  }

  /** Drops the file being written; finished files and the marker stay for a resume. */
  async abort(): Promise<void> {
    const open = this.writer;
    this.writer = undefined;
    this.current = undefined;
    await open?.file.abort();
  }

  private async save(): Promise<void> {
    const marker = { planId: this.id, fingerprint: this.fingerprint, files: this.files, finished: this.files.filter((f) => this.finished.has(f)) };
    await writeWholeFile(this.dir, GGUF_MARKER, new TextEncoder().encode(`${JSON.stringify(marker, null, 2)}\n`));
  }
}

export interface GgufMarker {
  readonly planId: string;
  readonly fingerprint: unknown;
  /** Every file of the export, and those that were complete. */
  readonly files: readonly string[];
  readonly finished: readonly string[];
}

/** The folder's GGUF marker, or `undefined` when there is none or it is damaged (its files are then written again). */
export async function readGgufMarker(dir: DirectorySink): Promise<GgufMarker | undefined> {
  const bytes = await dir.readFile(GGUF_MARKER);
  if (bytes === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || typeof parsed['planId'] !== 'string') return undefined;
  const names = (v: unknown) => (Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string') : []);
  return { planId: parsed['planId'], fingerprint: parsed['fingerprint'], files: names(parsed['files']), finished: names(parsed['finished']) };
}
