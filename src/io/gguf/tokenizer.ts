/**
 * Tokenizer metadata for GGUF from a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`):
 * - SentencePiece-style BPE with byte fallback (Llama 2, Mistral) → `tokenizer.ggml.model = "llama"`; piece scores
 *   are derived from the merge ranks (earlier merge = higher score), which is the order llama.cpp's SentencePiece
 *   tokenizer merges in;
 * - byte-level BPE (Llama 3, GPT-2) → `"gpt2"` with the merges and the pre-tokenizer's llama.cpp name, recognised
 *   from the split pattern (Llama 3's → `llama-bpe`, GPT-2's → `gpt-2`).
 * Anything else is refused with the reason rather than written as a tokenizer llama.cpp would run differently.
 */
import { AppError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import { bool, str, strings, u32 } from './metadata';
import type { GgufKv } from './types';

/** Llama 3's pre-tokenizer split pattern, as its tokenizer.json spells it. */
export const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const TOKEN = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

type Json = Record<string, unknown>;

function refuse(what: string): AppError {
  return new AppError('E_UNSUPPORTED', `Cannot export GGUF: tokenizer.json ${what}.`, { context: { file: 'tokenizer.json' }, hint: 'Export safetensors only, or convert with llama.cpp.' });
}

function obj(value: unknown): Json | undefined {
  return isPlainObject(value) ? (value as Json) : undefined;
}

/** The text of a `bos_token`-style entry: a string or `{ content }`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const o = obj(value);
  return typeof o?.content === 'string' ? o.content : undefined;
}

function pretokenizerName(pre: Json | undefined): string {
  const parts = pre?.type === 'Sequence' && Array.isArray(pre.pretokenizers) ? pre.pretokenizers.map(obj) : [pre];
  const [first, second] = parts;
  if (parts.length === 1 && first?.type === 'ByteLevel' && first.use_regex !== false) return 'gpt-2';
  const pattern = obj(obj(first?.pattern))?.Regex;
  if (parts.length === 2 && first?.type === 'Split' && pattern === LLAMA3_SPLIT && second?.type === 'ByteLevel' && second.use_regex === false) return 'llama-bpe';
  throw refuse('uses a byte-level pre-tokenizer llama.cpp has no name for here (known: Llama 3, GPT-2)');
}

function usesMetaspace(tok: Json): boolean {
  const text = JSON.stringify([tok.normalizer ?? null, tok.pre_tokenizer ?? null]);
  return text.includes('▁');
}

function addSpacePrefix(tok: Json): boolean {
  const text = JSON.stringify([tok.normalizer ?? null, tok.pre_tokenizer ?? null]);
  return text.includes('"Prepend"') || /"prepend_scheme":"(first|always)"/.test(text) || text.includes('"add_prefix_space":true');
}

function mergePair(merge: unknown): [string, string] {
  if (Array.isArray(merge) && merge.length === 2 && typeof merge[0] === 'string' && typeof merge[1] === 'string') return [merge[0], merge[1]];
  if (typeof merge === 'string') {
    const at = merge.indexOf(' ', 1);
    if (at > 0) return [merge.slice(0, at), merge.slice(at + 1)];
  }
  throw refuse(`has a merge ${JSON.stringify(merge)} that is neither "a b" nor ["a", "b"]`);
}

export interface TokenizerInputs {
  readonly tokenizer: unknown;
  readonly config?: unknown;
  /** config.json, for `*_token_id` fallbacks. */
  readonly modelConfig: Record<string, unknown>;
  /** Rows of the embedding matrix: the GGUF vocabulary has exactly this many tokens. */
  readonly vocabSize: number;
}

export function tokenizerMetadata(input: TokenizerInputs): GgufKv[] {
  const tok = obj(input.tokenizer);
  const model = obj(tok?.model);
  if (tok === undefined || model === undefined) throw refuse('is not a tokenizer (no model)');
  if (model.type !== 'BPE') throw refuse(`has a ${String(model.type)} model; GGUF export handles BPE tokenizers`);
  const vocab = obj(model.vocab);
  if (vocab === undefined) throw refuse('has no vocabulary');
  const merges = Array.isArray(model.merges) ? model.merges.map(mergePair) : [];
  if (merges.length === 0) throw refuse('has no merges, which llama.cpp needs to tokenize');
  const byteFallback = model.byte_fallback === true;
  const tokens: (string | undefined)[] = new Array<string | undefined>(input.vocabSize);
  const types = new Int32Array(input.vocabSize).fill(TOKEN.normal);
  const place = (text: string, id: unknown, type: number) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw refuse(`gives ${text} the id ${String(id)}`);
    if (id >= input.vocabSize) throw refuse(`has token ${text} at id ${id}, beyond the ${input.vocabSize} rows of the embedding matrix`);
    tokens[id] = text;
    types[id] = type;
  };
  for (const [text, id] of Object.entries(vocab)) place(text, id, byteFallback && /^<0x[0-9A-F]{2}>$/.test(text) ? TOKEN.byte : TOKEN.normal);
  const added = Array.isArray(tok.added_tokens) ? tok.added_tokens.map(obj) : [];
  for (const a of added) {
    if (typeof a?.content !== 'string') continue;
    place(a.content, a.id, a.special === true || /^<\|.*\|>$/.test(a.content) ? TOKEN.control : TOKEN.userDefined);
  }
  if (typeof model.unk_token === 'string' && typeof vocab[model.unk_token] === 'number') types[vocab[model.unk_token] as number] = TOKEN.unknown;
  const seen = new Set<string>();
  const texts = tokens.map((text, id) => {
    const out = text ?? `[PAD${id}]`;
    if (text === undefined) types[id] = TOKEN.unused;
    if (seen.has(out)) throw refuse(`has the token ${out} twice`);
    seen.add(out);
    return out;
  });
  const kvs: GgufKv[] = [];
  if (byteFallback) {
    if (!usesMetaspace(tok)) throw refuse('uses byte fallback without SentencePiece-style spaces (▁), which llama.cpp cannot reproduce');
    // llama.cpp's SentencePiece tokenizer merges the best-scoring pair first: score a token by its earliest merge.
    const scores = new Float32Array(input.vocabSize);
    merges.forEach(([a, b], rank) => {
      const id = vocab[a + b];
      if (typeof id === 'number' && scores[id] === 0) scores[id] = -(rank + 1);
    });
    for (let id = 0; id < texts.length; id++) if (types[id] === TOKEN.control || types[id] === TOKEN.userDefined) scores[id] = -1000;
    kvs.push(
      { key: 'tokenizer.ggml.model', value: str('llama') },
      { key: 'tokenizer.ggml.pre', value: str('default') },
      { key: 'tokenizer.ggml.tokens', value: strings(texts) },
      { key: 'tokenizer.ggml.scores', value: { type: 'ARRAY', of: 'FLOAT32', value: scores } },
      { key: 'tokenizer.ggml.token_type', value: { type: 'ARRAY', of: 'INT32', value: types } },
      { key: 'tokenizer.ggml.add_space_prefix', value: bool(addSpacePrefix(tok)) },
    );
  } else {
    const pre = pretokenizerName(obj(tok.pre_tokenizer));
    kvs.push(
      { key: 'tokenizer.ggml.model', value: str('gpt2') },
      { key: 'tokenizer.ggml.pre', value: str(pre) },
      { key: 'tokenizer.ggml.tokens', value: strings(texts) },
      { key: 'tokenizer.ggml.token_type', value: { type: 'ARRAY', of: 'INT32', value: types } },
      { key: 'tokenizer.ggml.merges', value: strings(merges.map(([a, b]) => `${a} ${b}`)) },
    );
  }
  kvs.push(...specialTokens(input, texts, tok));
  return kvs;
}

/** Special token ids, add-BOS/EOS flags and the chat template (shared with the tokenizer.model path). */
export function specialTokens(input: Omit<TokenizerInputs, 'tokenizer'>, texts: readonly string[], tok: Json | undefined): GgufKv[] {
  const config = obj(input.config) ?? {};
  const ids = new Map(texts.map((t, i) => [t, i]));
  const kvs: GgufKv[] = [];
  for (const kind of ['bos', 'eos', 'unk', 'pad'] as const) {
    const text = tokenText(config[`${kind}_token`]);
    const fromConfig = input.modelConfig[`${kind}_token_id`];
    const id = text !== undefined ? ids.get(text) : typeof fromConfig === 'number' && Number.isInteger(fromConfig) ? fromConfig : undefined;
    if (id !== undefined && id >= 0 && id < texts.length) kvs.push({ key: `tokenizer.ggml.${kind === 'unk' ? 'unknown' : kind === 'pad' ? 'padding' : kind}_token_id`, value: u32(id) });
  }
  const post = obj(tok?.post_processor);
  const single = JSON.stringify(post ?? null);
  const addBos = typeof config.add_bos_token === 'boolean' ? config.add_bos_token : post === undefined ? undefined : /"single":\[\{"SpecialToken"/.test(single);
  if (addBos !== undefined) kvs.push({ key: 'tokenizer.ggml.add_bos_token', value: bool(addBos) });
  if (typeof config.add_eos_token === 'boolean') kvs.push({ key: 'tokenizer.ggml.add_eos_token', value: bool(config.add_eos_token) });
  const template = config.chat_template;
  if (typeof template === 'string') kvs.push({ key: 'tokenizer.chat_template', value: str(template) });
  else if (Array.isArray(template)) {
    const named = template.map(obj).find((t) => t?.name === 'default');
    if (typeof named?.template === 'string') kvs.push({ key: 'tokenizer.chat_template', value: str(named.template) });
  }
  return kvs;
}
