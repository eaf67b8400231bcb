/**
 * Everything about a GGUF export that is known before the merge: metadata (general, architecture, tokenizer), the
 * tensor mapping and every file's layout. Built from the output's config.json and tokenizer files and the plan's
 * tensor list, so an unsupported model is refused before any weight moves.
 */
import { AppError } from '../../shared/errors';
import { formatBytes } from '../../shared/format';
import { isPlainObject } from '../../shared/json';
import type { GgufFileLayout } from './layout';
import { layoutGguf } from './layout';
import type { MappedTensor, SourceTensor } from './llama';
import { llamaHparams, llamaMetadata, mapLlamaTensors } from './llama';
import { str, strings, u32 } from './metadata';
import { parseSentencePiece, sentencePieceMetadata } from './sentencepiece';
import { tokenizerMetadata } from './tokenizer';
import type { GgufKv, GgufOutputType } from './types';
import { FILE_TYPE } from './types';

export interface GgufParent {
  /** A Hub repo id (`owner/name`) or a local folder name. */
  readonly ref: string;
  readonly hub: boolean;
}

export interface GgufExportInputs {
  /** File name prefix (the files are `<prefix>.gguf` or `<prefix>-00001-of-0000N.gguf`). */
  readonly prefix: string;
  /** `general.name`. */
  readonly name: string;
  readonly type: GgufOutputType;
  /** Cut into parts above this many tensor bytes per file. */
  readonly maxFileBytes?: number;
  /** The output's config.json, tokenizer.json and tokenizer_config.json, as JSON text (undefined when absent). */
  readonly files: Readonly<Record<'config.json' | 'tokenizer.json' | 'tokenizer_config.json', string | undefined>>;
  /** The output's SentencePiece `tokenizer.model`, when it has one (preferred, as llama.cpp's converter does). */
  readonly tokenizerModel?: Uint8Array;
  /** The output tensors in write order. */
  readonly tensors: readonly SourceTensor[];
  readonly parents: readonly GgufParent[];
}

export interface GgufExportPlan {
  readonly type: GgufOutputType;
  readonly files: readonly GgufFileLayout[];
  /** By HF tensor name. */
  readonly tensors: ReadonlyMap<string, MappedTensor & { readonly file: number }>;
  /** Tensors the export makes itself (Llama 3.1's `rope_freqs.weight`), written first in the first file. */
  readonly generated: readonly { readonly name: string; readonly values: Float32Array }[];
  readonly bytes: number;
}

function parse(files: GgufExportInputs['files'], name: 'config.json' | 'tokenizer.json' | 'tokenizer_config.json'): Record<string, unknown> | undefined {
  const text = files[name];
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (isPlainObject(value)) return value;
  } catch {
    // reported below
  }
  throw new AppError('E_CONFIG_INVALID', `${name} is not a JSON object, so the GGUF metadata cannot be read from it.`, { context: { file: name } });
}

export function planGgufExport(input: GgufExportInputs): GgufExportPlan {
  const config = parse(input.files, 'config.json');
  if (config === undefined) throw new AppError('E_UNSUPPORTED', 'Cannot export GGUF: the output has no config.json.', { context: { file: 'config.json' } });
  const tokenizer = parse(input.files, 'tokenizer.json');
  if (tokenizer === undefined && input.tokenizerModel === undefined) {
    throw new AppError('E_UNSUPPORTED', 'Cannot export GGUF: the output has neither tokenizer.json nor tokenizer.model.', {
      context: { file: 'tokenizer.json' },
      hint: 'Take the tokenizer from a model that ships one (tokenizer_source), or export safetensors only.',
    });
  }
  const hp = llamaHparams(config);
  const mapped = mapLlamaTensors(input.tensors, hp, input.type);
  const embedding = mapped.find((t) => t.name === 'token_embd.weight');
  if (embedding === undefined) throw new AppError('E_UNSUPPORTED', 'Cannot export GGUF: the output has no model.embed_tokens.weight.', { context: { tensor: 'model.embed_tokens.weight' } });
  const vocabSize = embedding.ne[1] as number;
  const metadata: GgufKv[] = [
    { key: 'general.architecture', value: str('llama') },
    { key: 'general.type', value: str('model') },
    { key: 'general.name', value: str(input.name) },
    { key: 'general.file_type', value: u32(FILE_TYPE[input.type]) },
    { key: 'general.quantization_version', value: u32(2) },
    { key: 'general.tags', value: strings(['merge']) },
    ...baseModels(input.parents),
    ...llamaMetadata(config, hp, vocabSize),
    ...(input.tokenizerModel !== undefined
      ? sentencePieceMetadata(parseSentencePiece(input.tokenizerModel), { tokenizer, config: parse(input.files, 'tokenizer_config.json'), modelConfig: config, vocabSize })
      : tokenizerMetadata({ tokenizer, config: parse(input.files, 'tokenizer_config.json'), modelConfig: config, vocabSize })),
  ];
  const generated = hp.ropeFreqs === undefined ? [] : [{ name: 'rope_freqs.weight', values: hp.ropeFreqs }];
  const specs = [...generated.map((g) => ({ name: g.name, ne: [g.values.length], type: 'F32' as const })), ...mapped];
  const files = layoutGguf(input.prefix, metadata, specs, input.maxFileBytes);
  const fileOf = new Map<string, number>();
  files.forEach((f, i) => f.tensors.forEach((t) => fileOf.set(t.name, i)));
  const tensors = new Map(mapped.map((t) => [t.source, { ...t, file: fileOf.get(t.name) as number }]));
  return { type: input.type, files, tensors, generated, bytes: files.reduce((s, f) => s + f.bytes, 0) };
}

/** One line per file for plan summaries: `GGUF q8_0: merged.gguf (1.2 GB)`. */
export function describeGgufExport(plan: GgufExportPlan): string {
  return `GGUF ${plan.type}: ${plan.files.map((f) => `${f.file} (${formatBytes(f.bytes)})`).join(', ')}`;
}

function baseModels(parents: readonly GgufParent[]): GgufKv[] {
  if (parents.length === 0) return [];
  const kvs: GgufKv[] = [{ key: 'general.base_model.count', value: u32(parents.length) }];
  parents.forEach((p, i) => {
    const [org, name] = p.hub && p.ref.includes('/') ? p.ref.split('/', 2) : [undefined, p.ref.split(/[\\/]/).filter((s) => s !== '').pop()];
    kvs.push({ key: `general.base_model.${i}.name`, value: str(name ?? p.ref) });
    if (org !== undefined) kvs.push({ key: `general.base_model.${i}.organization`, value: str(org) }, { key: `general.base_model.${i}.repo_url`, value: str(`https://huggingface.co/${p.ref}`) });
  });
  return kvs;
}
