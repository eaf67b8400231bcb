/**
 * Reads a SentencePiece `tokenizer.model` (a protobuf `ModelProto`): its pieces (field 1: text, score, type) and the
 * normalizer's `add_dummy_prefix` (field 3 → 3). Just enough protobuf to walk those fields and skip the rest; a
 * malformed file is refused with a typed error.
 */
import { AppError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import { bool, str, strings } from './metadata';
import { specialTokens } from './tokenizer';
import type { TokenizerInputs } from './tokenizer';
import type { GgufKv } from './types';

export interface SentencePiece {
  readonly piece: string;
  readonly score: number;
  /** 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte (the GGUF token types). */
  readonly type: number;
}

export interface SentencePieceModel {
  readonly pieces: readonly SentencePiece[];
  readonly addDummyPrefix: boolean;
}

function bad(what: string): AppError {
  return new AppError('E_UNSUPPORTED', `Cannot export GGUF: tokenizer.model is not a SentencePiece model (${what}).`, { context: { file: 'tokenizer.model' } });
}

class Reader {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end = bytes.byteLength,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw bad('truncated varint');
      const b = this.bytes[this.at++] as number;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw bad('overlong varint');
  }

  /** Field number and wire type of the next field. */
  key(): [number, number] {
    const key = this.varint();
    return [Math.floor(key / 8), key % 8];
  }

  /** The bounds of a length-delimited field. */
  sub(): Reader {
    const length = this.varint();
    if (this.at + length > this.end) throw bad('field runs past the end');
    const reader = new Reader(this.bytes, this.at + length);
    reader.at = this.at;
    this.at += length;
    return reader;
  }

  float(): number {
    if (this.at + 4 > this.end) throw bad('truncated float');
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 4).getFloat32(0, true);
    this.at += 4;
    return value;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.at += 8;
    else if (wire === 2) this.sub();
    else if (wire === 5) this.at += 4;
    else throw bad(`wire type ${wire}`);
    if (this.at > this.end) throw bad('field runs past the end');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseSentencePiece(bytes: Uint8Array): SentencePieceModel {
  const top = new Reader(bytes);
  const pieces: SentencePiece[] = [];
  let addDummyPrefix = true;
  while (top.at < top.end) {
    const [field, wire] = top.key();
    if (field === 1 && wire === 2) {
      const r = top.sub();
      let piece: string | undefined;
      let score = 0;
      let type = 1;
      while (r.at < r.end) {
        const [f, w] = r.key();
        if (f === 1 && w === 2) {
          const s = r.sub();
          try {
            piece = utf8.decode(bytes.subarray(s.at, s.end));
          } catch {
            throw bad('a piece is not UTF-8');
          }
        } else if (f === 2 && w === 5) score = r.float();
        else if (f === 3 && w === 0) type = r.varint();
        else r.skip(w);
      }
      if (piece === undefined || type < 1 || type > 6) throw bad(`piece ${pieces.length} has no text or an unknown type`);
      pieces.push({ piece, score, type });
    } else if (field === 3 && wire === 2) {
      const r = top.sub();
      while (r.at < r.end) {
        const [f, w] = r.key();
        if (f === 3 && w === 0) addDummyPrefix = r.varint() !== 0;
        else r.skip(w);
      }
    } else top.skip(wire);
  }
  if (pieces.length === 0) throw bad('no pieces');
  return { pieces, addDummyPrefix };
}

/**
 * GGUF tokenizer metadata (`llama`) from a SentencePiece model, as llama.cpp's converter builds it: pieces with their
 * scores and types, ids up to the embedding rows filled with `[PAD{id}]` (unused), added tokens (from tokenizer.json
 * or tokenizer_config.json) as control or user-defined with score −1000.
 */
export function sentencePieceMetadata(model: SentencePieceModel, input: Omit<TokenizerInputs, 'tokenizer'> & { readonly tokenizer?: unknown }): GgufKv[] {
  if (model.pieces.length > input.vocabSize) {
    throw bad(`it has ${model.pieces.length} pieces but the embedding matrix has ${input.vocabSize} rows`);
  }
  const texts: string[] = [];
  const scores = new Float32Array(input.vocabSize);
  const types = new Int32Array(input.vocabSize);
  for (let id = 0; id < input.vocabSize; id++) {
    const p = model.pieces[id];
    texts.push(p?.piece ?? `[PAD${id}]`);
    scores[id] = p?.score ?? -10000;
    types[id] = p?.type ?? 5;
  }
  const tok = isPlainObject(input.tokenizer) ? input.tokenizer : undefined;
  const config = isPlainObject(input.config) ? input.config : undefined;
  const added: { id: unknown; content: unknown; special: unknown }[] = Array.isArray(tok?.added_tokens)
    ? (tok.added_tokens as unknown[]).filter(isPlainObject).map((t) => ({ id: t.id, content: t.content, special: t.special }))
    : isPlainObject(config?.added_tokens_decoder)
      ? Object.entries(config.added_tokens_decoder).flatMap(([id, t]) => (isPlainObject(t) ? [{ id: Number(id), content: t.content, special: t.special }] : []))
      : [];
  for (const a of added) {
    if (typeof a.id !== 'number' || !Number.isInteger(a.id) || a.id < 0 || typeof a.content !== 'string') continue;
    if (a.id >= input.vocabSize) throw bad(`added token ${a.content} has id ${a.id}, beyond the ${input.vocabSize} embedding rows`);
    if (a.id < model.pieces.length) continue; // a piece of the model already (e.g. <s>): keep its own type and score
    texts[a.id] = a.content;
    scores[a.id] = -1000;
    types[a.id] = a.special === true || /^<\|.*\|>$/.test(a.content) ? 3 : 4;
  }
  if (new Set(texts).size !== texts.length) throw bad('two ids have the same text');
  return [
    { key: 'tokenizer.ggml.model', value: str('llama') },
    { key: 'tokenizer.ggml.pre', value: str('default') },
    { key: 'tokenizer.ggml.tokens', value: strings(texts) },
    { key: 'tokenizer.ggml.scores', value: { type: 'ARRAY', of: 'FLOAT32', value: scores } },
    { key: 'tokenizer.ggml.token_type', value: { type: 'ARRAY', of: 'INT32', value: types } },
    { key: 'tokenizer.ggml.add_space_prefix', value: bool(model.addDummyPrefix) },
    ...specialTokens(input, texts, tok),
  ];
}
