import { AppError } from '../../shared/errors';
import { encodeHeader } from '../safetensors/layout';
import type { PlannedShardFile, ShardPlan } from '../safetensors/layout';
import { INDEX_FILE } from '../safetensors/shard-index';
import type { SafetensorsFileWriter } from '../safetensors/writer';
import { ModelOutputWriter } from '../safetensors/writer';
import type { DirectorySink } from '../sink/byte-sink';
import type { ByteSource } from '../source/byte-source';
import type { Model } from './types';

/**
 * Reads are at most this large, so memory stays flat whatever the model or tensor size. Measured on the 2-core VM
 * (a 246 MB model, Node): 4 MiB chunks copy in 0.30 s, 16 MiB in 0.87 s, 64 MiB in 0.73 s — a fresh buffer above a
 * few MiB is a fresh mmap whose first-touch page faults dominate (performance.md §6 saw the same with torch).
 */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/** Non-weight files larger than this are not copied (they are not part of a Hugging Face model folder). */
const MAX_EXTRA_FILE_BYTES = 64 * 1024 * 1024;

export interface CopyProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly file: string;
}

export interface CopyOptions {
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: CopyProgress) => void;
}

/**
 * Copies a model into an output folder tensor by tensor, in chunks, through the streaming writer — the identity merge.
 * Shard names, header order, metadata, the index and the small files are kept, so a copy of a file written by the
 * reference ordering is byte-identical. The next chunk is read while the current one is written.
 */
export async function copyModel(model: Model, dir: DirectorySink, options: CopyOptions = {}): Promise<void> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const plan = await copyPlan(model);
  const bytesTotal = plan.shards.reduce((sum, shard) => sum + shard.header.dataBytes, 0);
  let bytesDone = 0;
  const writer = await ModelOutputWriter.start(dir, plan, { fingerprint: `copy:${model.ref}@${model.revision ?? 'local'}` });
  try {
    for (const file of model.files) {
      if (model.weightFiles.includes(file.path) || file.path === INDEX_FILE || file.path.includes('/')) continue;
      if (file.size > MAX_EXTRA_FILE_BYTES) continue;
      const source = await model.folder.open(file.path);
      await writer.writeExtraFile(file.path, await source.read(0, source.size, options.signal));
    }
    for (const [i, shard] of plan.shards.entries()) {
      const source = await model.folder.open(shard.file);
      const output = await writer.openShard(i);
      const header = model.headers.get(shard.file);
      if (header === undefined) throw new AppError('E_INTERNAL', `No header for ${shard.file}.`);
      await copyTensors(source, header.dataOffset, shard, output, chunkBytes, options.signal, (n) => {
        bytesDone += n;
        options.onProgress?.({ bytesDone, bytesTotal, file: shard.file });
      });
      await output.finish();
    }
    await writer.finish();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** The input's own layout as a ShardPlan: same files, same data order, same metadata, the same index bytes. */
async function copyPlan(model: Model): Promise<ShardPlan> {
  const shards: PlannedShardFile[] = model.weightFiles.map((file) => {
    const header = model.headers.get(file);
    if (header === undefined) throw new AppError('E_INTERNAL', `No header for ${file}.`);
    const inDataOrder = [...header.tensors].sort((a, b) => a.begin - b.begin);
    const encoded = encodeHeader(inDataOrder, header.metadata);
    return { file, header: encoded, bytes: encoded.bytes.byteLength + encoded.dataBytes };
  });
  const indexEntry = model.files.find((f) => f.path === INDEX_FILE);
  const index = indexEntry === undefined ? undefined : await (await model.folder.open(INDEX_FILE)).read(0, indexEntry.size);
  return { shards, totalSize: shards.reduce((sum, s) => sum + s.header.dataBytes, 0), index };
}

/**
 * The tensors of a shard tile its data section, so the copy reads the section in plain `chunkBytes` steps (however the
 * tensors fall) and hands each step to the writer split at tensor boundaries.
 */
async function copyTensors(
  source: ByteSource,
  dataOffset: number,
  shard: PlannedShardFile,
  output: SafetensorsFileWriter,
  chunkBytes: number,
  signal: AbortSignal | undefined,
  progress: (bytes: number) => void,
): Promise<void> {
  const tensors = shard.header.tensors;
  const total = shard.header.dataBytes;
  // Two buffers take turns: one being written while the next chunk is read into the other.
  const buffers = [new Uint8Array(Math.min(chunkBytes, total)), new Uint8Array(Math.min(chunkBytes, total))];
  const read = (at: number, turn: number) =>
    source.read(dataOffset + at, Math.min(chunkBytes, total - at), signal, buffers[turn % 2]);
  let tensor = 0;
  let turn = 0;
  let pending = total > 0 ? read(0, turn) : undefined;
  for (let at = 0; at < total; at += chunkBytes) {
    const bytes = await (pending as Promise<Uint8Array>);
    turn += 1;
    pending = at + chunkBytes < total ? read(at + chunkBytes, turn) : undefined;
    // Keep the prefetch from becoming an unhandled rejection if a write below fails first.
    pending?.catch(() => undefined);
    let used = 0;
    while (used < bytes.byteLength) {
      const info = tensors[tensor] as (typeof tensors)[number];
      const take = Math.min(info.end - (at + used), bytes.byteLength - used);
      await output.write(info.name, bytes.subarray(used, used + take));
      used += take;
      if (at + used === info.end) tensor += 1;
    }
    progress(bytes.byteLength);
  }
  // Zero-byte tensors at the end of the section need no bytes; the writer steps over them.
}
