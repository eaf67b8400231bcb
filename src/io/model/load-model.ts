import { AppError, toAppError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import { readHeader } from '../safetensors/header';
import { INDEX_FILE, readShardIndex } from '../safetensors/shard-index';
import type { SafetensorsHeader, ShardIndex } from '../safetensors/types';
import type { ByteSource } from '../source/byte-source';
import type { Model, ModelFolder, ModelTensor } from './types';

/**
 * Files mergekit copies from the tokenizer donor when it does not rebuild the tokenizer (mergekit-spec §6.5), plus
 * `vocab.json` which byte-level BPE tokenizers need alongside `merges.txt`.
 */
export const TOKENIZER_FILES = [
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer.model',
  'added_tokens.json',
  'merges.txt',
  'vocab.json',
  'chat_template.jinja',
  'chat_template.json',
  'generation_config.json',
] as const;

/** config.json is small; anything over 4 MB is not a config. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Header reads in flight at once (each is two small reads; on the Hub, two requests). */
const HEADER_CONCURRENCY = 8;

export interface LoadModelOptions {
  readonly signal?: AbortSignal;
}

/**
 * Reads what a merge needs to know about a model from its folder, touching only headers and small JSON files: weight
 * files (single or sharded, each shard and tensor cross-checked against the index), every tensor's byte range,
 * config.json and the tokenizer files present. A local folder and a Hub repo with the same files give the same
 * description.
 */
export async function loadModel(folder: ModelFolder, options: LoadModelOptions = {}): Promise<Model> {
  const model = folder.ref;
  try {
    const files = await folder.listFiles();
    const names = new Set(files.map((f) => f.path));
    const { weightFiles, index } = await findWeights(folder, names, options.signal);
    const headers = new Map<string, SafetensorsHeader>();
    await forEachLimited(weightFiles, HEADER_CONCURRENCY, async (file) => {
      const source = await folder.open(file);
      headers.set(file, await explainingLfsPointer(folder, source, options.signal, (read) => readHeader(source, { ...read, digest: true })));
    });
    const tensors = collectTensors(weightFiles, headers, index);
    return {
      ref: folder.ref,
      revision: folder.revision,
      folder,
      files,
      config: names.has('config.json') ? await readConfig(folder, options.signal) : undefined,
      tokenizerFiles: TOKENIZER_FILES.filter((file) => names.has(file)),
      weightFiles,
      index,
      headers: new Map(weightFiles.map((file) => [file, headers.get(file) as SafetensorsHeader])),
      tensors,
    };
  } catch (error) {
    throw toAppError(error, { model });
  }
}

async function findWeights(
  folder: ModelFolder,
  names: ReadonlySet<string>,
  signal: AbortSignal | undefined,
): Promise<{ weightFiles: string[]; index: ShardIndex | undefined }> {
  if (names.has(INDEX_FILE)) {
    const source = await folder.open(INDEX_FILE);
    const index = await explainingLfsPointer(folder, source, signal, (options) => readShardIndex(source, options));
    for (const shard of index.shards) {
      if (!names.has(shard)) {
        throw new AppError('E_SHARD_MISSING', `${INDEX_FILE} of ${folder.ref} names the shard ${shard}, which is not in the folder.`, {
          context: { model: folder.ref, file: INDEX_FILE, shard },
          hint: 'Download or copy the whole model folder again: a shard is missing.',
        });
      }
    }
    return { weightFiles: [...index.shards], index };
  }
  if (names.has('model.safetensors')) return { weightFiles: ['model.safetensors'], index: undefined };
  const others = [...names].filter((name) => name.endsWith('.safetensors') && !name.includes('/'));
  if (others.length === 1) return { weightFiles: others, index: undefined };
  const hasBin = [...names].some((name) => name.endsWith('.bin') || name.endsWith('.pt'));
  throw new AppError(
    'E_NO_WEIGHTS',
    others.length > 1
      ? `${folder.ref} has several .safetensors files but no ${INDEX_FILE} saying how they fit together.`
      : `${folder.ref} has no safetensors weights${hasBin ? ' (only PyTorch .bin checkpoints, which are not supported)' : ''}.`,
    {
      context: { model: folder.ref },
      hint: hasBin
        ? 'Convert the model to safetensors (or pick a repository that has safetensors weights).'
        : 'Pick a folder that holds model.safetensors or model-0000x-of-0000y.safetensors with its index.',
    },
  );
}

function collectTensors(
  weightFiles: readonly string[],
  headers: ReadonlyMap<string, SafetensorsHeader>,
  index: ShardIndex | undefined,
): Map<string, ModelTensor> {
  const tensors = new Map<string, ModelTensor>();
  for (const file of weightFiles) {
    const header = headers.get(file) as SafetensorsHeader;
    for (const info of header.tensors) {
      if (tensors.has(info.name)) {
        throw new AppError('E_INDEX_INVALID', `Tensor ${info.name} is stored twice: in ${tensors.get(info.name)?.file} and ${file}.`, {
          context: { file, tensor: info.name },
          hint: 'The model folder mixes files from different exports; download it again.',
        });
      }
      tensors.set(info.name, { ...info, file, offset: header.dataOffset + info.begin, length: info.end - info.begin });
    }
  }
  if (index !== undefined) {
    for (const [name, shard] of index.weightMap) {
      const tensor = tensors.get(name);
      if (tensor?.file !== shard) {
        throw new AppError('E_TENSOR_MISSING', `${INDEX_FILE} puts tensor ${name} in ${shard}, but ${shard} does not hold it.`, {
          context: { file: shard, tensor: name },
          hint: 'The index and the shards do not match: download the model again.',
        });
      }
    }
  }
  return tensors;
}

async function readConfig(folder: ModelFolder, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
  const source = await folder.open('config.json');
  const invalid = (what: string, cause?: unknown) =>
    new AppError('E_CONFIG_INVALID', `config.json of ${folder.ref} ${what}.`, {
      context: { model: folder.ref, file: 'config.json' },
      hint: 'The model folder has a damaged config.json; download it again.',
      cause,
    });
  if (source.size > MAX_CONFIG_BYTES) throw invalid(`is ${source.size} bytes, too large for a model config`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(await source.read(0, source.size, signal)));
  } catch (cause) {
    throw invalid('is not valid JSON', cause);
  }
  if (!isPlainObject(value)) throw invalid('is not a JSON object');
  return value;
}

/** Git LFS pointer files are about 130 bytes of text: `version https://git-lfs.github.com/spec/v1`, oid, size. */
const LFS_POINTER = /^version https:\/\/git-lfs\.github\.com\/spec\/v\d/;

/** Reads `source`; when that fails because the file is a Git LFS pointer, the error says so (else the read's error). */
async function explainingLfsPointer<T>(
  folder: ModelFolder,
  source: ByteSource,
  signal: AbortSignal | undefined,
  read: (options: { signal?: AbortSignal }) => Promise<T>,
): Promise<T> {
  try {
    return await read(signal === undefined ? {} : { signal });
  } catch (error) {
    throw (await lfsPointerError(folder, source, signal)) ?? error;
  }
}

/** The error for a Git LFS pointer checked out where a file's content should be, or undefined when it is not one. */
async function lfsPointerError(folder: ModelFolder, source: ByteSource, signal: AbortSignal | undefined): Promise<AppError | undefined> {
  if (source.size > 1024) return undefined;
  const text = new TextDecoder().decode(await source.read(0, source.size, signal).catch(() => new Uint8Array(0)));
  if (!LFS_POINTER.test(text)) return undefined;
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return new AppError('E_LFS_POINTER', `${source.name} of ${folder.ref} is a Git LFS pointer${size === undefined ? '' : ` to a ${size} byte file`}, not the file itself.`, {
    context: { model: folder.ref, file: source.name },
    hint: `Run \`git lfs pull\` in ${folder.ref} to download the real files, then run again.`,
  });
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
