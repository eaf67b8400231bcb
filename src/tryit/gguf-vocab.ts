/**
 * Reads the vocabulary out of a GGUF file's header (the first part of a split file holds it): the tokenizer model, the
 * token texts, and where the `tokenizer.ggml.token_type` array lies in the file, so Try it can hand llama.cpp a copy of
 * the header with some token types changed while the tensor data stays the user's file, unread.
 */
import { GGUF_VALUE } from '../io/gguf/types';

const { UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 } = GGUF_VALUE;

/** Bytes of each fixed-size value type. */
const FIXED_SIZE: Readonly<Record<number, number>> = { [UINT8]: 1, [INT8]: 1, [BOOL]: 1, [UINT16]: 2, [INT16]: 2, [UINT32]: 4, [INT32]: 4, [FLOAT32]: 4, [UINT64]: 8, [INT64]: 8, [FLOAT64]: 8 };

export interface GgufVocab {
  /** `tokenizer.ggml.model` ("llama" for SentencePiece, "gpt2" for byte-level BPE), undefined when absent. */
  readonly model: string | undefined;
  readonly tokens: readonly string[];
  /** `tokenizer.ggml.token_type`, one per token. */
  readonly types: Int32Array;
  /** Byte offset of the first token type in the file. */
  readonly typesOffset: number;
}

/** Thrown when the bytes read so far end inside the header: the caller reads more. */
class NeedMore extends Error {}

class Cursor {
  private readonly view: DataView;
  private readonly text = new TextDecoder('utf-8');
  constructor(
    private readonly bytes: Uint8Array,
    public at = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.byteLength) throw new NeedMore();
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = Number(this.view.getBigUint64(this.at, true));
    this.at += 8;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.at += n;
  }
  string(): string {
    const n = this.u64();
    this.need(n);
    const s = this.text.decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  int32s(count: number): Int32Array {
    this.need(count * 4);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.view.getInt32(this.at + i * 4, true);
    this.at += count * 4;
    return out;
  }
}

function skipValue(c: Cursor, type: number): void {
  if (type === STRING) c.string();
  else if (type === ARRAY) {
    const of = c.u32();
    const count = c.u64();
    if (of === STRING) for (let i = 0; i < count; i++) c.string();
    else c.skip(count * (FIXED_SIZE[of] ?? Number.NaN));
  } else {
    const size = FIXED_SIZE[type];
    if (size === undefined) throw new Error(`GGUF header: unknown value type ${type}.`);
    c.skip(size);
  }
}

function parse(bytes: Uint8Array): GgufVocab | undefined {
  const c = new Cursor(bytes);
  if (c.u32() !== 0x46554747) throw new Error('Not a GGUF file.');
  c.skip(4 + 8); // version, tensor count
  const kvCount = c.u64();
  let model: string | undefined;
  let tokens: string[] | undefined;
  let types: { values: Int32Array; offset: number } | undefined;
  for (let k = 0; k < kvCount; k++) {
    const key = c.string();
    const type = c.u32();
    if (key === 'tokenizer.ggml.model' && type === STRING) model = c.string();
    else if (key === 'tokenizer.ggml.tokens' && type === ARRAY) {
      const of = c.u32();
      const count = c.u64();
      if (of !== STRING) throw new Error('GGUF header: tokenizer.ggml.tokens is not a string array.');
      tokens = [];
      for (let i = 0; i < count; i++) tokens.push(c.string());
    } else if (key === 'tokenizer.ggml.token_type' && type === ARRAY) {
      const of = c.u32();
      const count = c.u64();
      if (of !== INT32) throw new Error('GGUF header: tokenizer.ggml.token_type is not an int32 array.');
      const offset = c.at;
      types = { values: c.int32s(count), offset };
    } else skipValue(c, type);
  }
  if (tokens === undefined || types === undefined || types.values.length !== tokens.length) return undefined;
  return { model, tokens, types: types.values, typesOffset: types.offset };
}

/**
 * The vocabulary in `file`'s GGUF header, reading as much of the file as the header takes (from 4 MiB, doubling);
 * undefined when the header has no token list with types.
 */
export async function readGgufVocab(file: Blob): Promise<GgufVocab | undefined> {
  for (let size = 4 * 1024 * 1024; ; size *= 2) {
    const bytes = new Uint8Array(await file.slice(0, size).arrayBuffer());
    try {
      return parse(bytes);
    } catch (error) {
      if (!(error instanceof NeedMore) || bytes.byteLength < size) throw error instanceof NeedMore ? new Error('GGUF header: the file ends inside its header.') : error;
    }
  }
}
