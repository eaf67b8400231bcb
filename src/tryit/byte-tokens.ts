/**
 * Lone UTF-8 bytes in the tab's llama.cpp.
 *
 * SentencePiece vocabularies (Llama 2, Mistral, TinyLlama) carry 256 byte tokens `<0x00>`…`<0xFF>` (type BYTE), whose
 * piece is the raw byte. llama-server, which wllama runs, writes every result as JSON, and its JSON writer throws on
 * invalid UTF-8: a byte token from 0x80 up generated on its own (a continuation byte, or a lead byte followed by
 * anything but its continuation) makes the whole completion fail, and so does such a token as the top-1 guess that
 * `n_probs` reports. A model with random or barely trained weights picks them often; a real model mid-way through an
 * emoji or a CJK character too.
 *
 * So the tab hands llama.cpp a copy of the GGUF header in which the byte tokens 0x80–0xFF are NORMAL tokens: their
 * piece becomes their text, `<0xNN>`, which is plain ASCII. Nothing the model computes changes (the weights, the ids,
 * the tokenizer's byte fallback — it looks byte tokens up by that same text — are the same), only how llama.cpp spells
 * those ids. The tab then spells them back: {@link TokenTextDecoder} turns the ids into bytes and decodes the byte
 * stream with a streaming `TextDecoder`, so a character split over several tokens comes out whole and a byte that
 * never forms one shows as U+FFFD. The GGUF in the user's folder is never changed: the copy is a Blob of the patched
 * header bytes followed by a slice of the original file.
 */
import { readGgufVocab } from './gguf-vocab';

/** llama.cpp's token types (llama_token_type). */
const TOKEN_NORMAL = 1;
const TOKEN_USER_DEFINED = 4;
const TOKEN_BYTE = 6;

const BYTE_TEXT = /^<0x([0-9A-F]{2})>$/;

export interface RelabelledGguf {
  /** The parts to load: the first with its header patched (when there was anything to patch), the rest as given. */
  readonly files: readonly Blob[];
  /** Each relabelled token id → the byte it stands for. Empty when nothing was relabelled. */
  readonly bytes: ReadonlyMap<number, number>;
  /**
   * The other tokens whose piece has a `<` in it: together they could spell a relabelled token's text, so a forced walk
   * over a text without `<` bans them (only a relabelled token can then produce `<0xNN>`).
   */
  readonly angled: readonly number[];
}

/** The byte a relabelled token's text stands for (`<0x80>` → 0x80), for ids whose text is a byte token's. */
function byteOf(text: string): number | undefined {
  const match = BYTE_TEXT.exec(text);
  return match === null ? undefined : Number.parseInt(match[1] ?? '', 16);
}

/**
 * `files` (one GGUF, or the parts of a split one) with the byte tokens 0x80–0xFF of a SentencePiece vocabulary made
 * NORMAL in a copy of the first part's header. Other vocabularies are returned as they are.
 */
export async function relabelByteTokens(files: readonly Blob[]): Promise<RelabelledGguf> {
  const first = files[0];
  const vocab = first === undefined ? undefined : await readGgufVocab(first);
  if (first === undefined || vocab === undefined || vocab.model !== 'llama') return { files, bytes: new Map(), angled: [] };
  const types = vocab.types.slice();
  const bytes = new Map<number, number>();
  const angled: number[] = [];
  vocab.tokens.forEach((text, id) => {
    const byte = byteOf(text);
    if (types[id] === TOKEN_BYTE && byte !== undefined && byte >= 0x80) {
      types[id] = TOKEN_NORMAL;
      bytes.set(id, byte);
    } else if (types[id] === TOKEN_BYTE ? byte === 0x3c : (types[id] === TOKEN_NORMAL || types[id] === TOKEN_USER_DEFINED) && text.includes('<')) {
      angled.push(id);
    }
  });
  if (bytes.size === 0) return { files, bytes, angled: [] };
  const end = vocab.typesOffset + types.byteLength;
  const header = new Uint8Array(await first.slice(0, end).arrayBuffer());
  const view = new DataView(header.buffer);
  types.forEach((t, i) => view.setInt32(vocab.typesOffset + i * 4, t, true));
  return { files: [new Blob([header, first.slice(end)]), ...files.slice(1)], bytes, angled };
}

/**
 * Spells generated tokens as text: a relabelled byte token contributes its byte, any other token the UTF-8 of the
 * text llama.cpp gave for it; the byte stream goes through one streaming `TextDecoder`.
 */
export class TokenTextDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly encoder = new TextEncoder();

  constructor(private readonly bytes: ReadonlyMap<number, number>) {}

  /** The text that token `id` (spelled `text` by llama.cpp) completes; may be empty while a character is unfinished. */
  push(id: number, text: string): string {
    const byte = this.bytes.get(id);
    return this.decoder.decode(byte === undefined ? this.encoder.encode(text) : Uint8Array.of(byte), { stream: true });
  }

  /** What is left at the end: U+FFFD for a character that never finished, else empty. */
  end(): string {
    return this.decoder.decode();
  }

  /** The whole text of `tokens`, start to end. */
  static spell(bytes: ReadonlyMap<number, number>, tokens: readonly { readonly id: number; readonly text: string }[]): string {
    const decoder = new TokenTextDecoder(bytes);
    return tokens.map((t) => decoder.push(t.id, t.text)).join('') + decoder.end();
  }
}
