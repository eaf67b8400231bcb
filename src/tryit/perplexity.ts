/**
 * Perplexity from per-token log-probabilities, and the grammar that walks the model along a given text.
 *
 * wllama 3.x has no tokenize/logits API, so the tab measures a text by *forced decoding*: a completion whose grammar
 * admits only that literal text, at temperature 0, returning each generated token's log-probability (`n_probs`). The
 * log-probabilities are llama.cpp's softmax over the raw logits of the whole vocabulary (before any sampler or the
 * grammar touches them), so `exp(-mean)` is the usual perplexity over the tokens the walk chose. The walk picks, at
 * each step, the most likely token consistent with the rest of the text, which may tokenize the text differently
 * from the tokenizer (the reported token count says how many it used).
 */

/** One row of the comparison table, and what the model card draft stores. */
export interface PerplexityRow {
  readonly model: string;
  readonly perplexity: number;
  /** Tokens scored (the text after the first token). */
  readonly tokens: number;
  /** Scored tokens per second, prompt processing included. */
  readonly tokensPerSecond: number;
}

/** A token the forced walk produced: its id, text and natural log-probability. */
export interface ScoredToken {
  readonly id: number;
  readonly text: string;
  readonly logprob: number;
}

/** exp(−mean log p) over `logprobs`; refuses an empty list or a non-finite value. */
export function perplexityOf(logprobs: readonly number[]): number {
  if (logprobs.length === 0) throw new RangeError('No tokens to score.');
  let sum = 0;
  for (const lp of logprobs) {
    if (!Number.isFinite(lp)) throw new RangeError(`A token log-probability is ${lp}.`);
    sum += lp;
  }
  return Math.exp(-sum / logprobs.length);
}

function escapeLiteral(text: string): string {
  let body = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') body += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) body += `\\x${code.toString(16).padStart(2, '0')}`;
    else body += ch;
  }
  return body;
}

/**
 * A GBNF grammar whose only sentence is `text` (every character escaped into string literals). With `byteTokens`,
 * any character outside ASCII may also be spelled as the byte tokens of its UTF-8 bytes (`<0xC3><0xA9>` for "é"), the
 * text llama.cpp gives them once they are relabelled (`byte-tokens.ts`).
 */
export function literalGrammar(text: string, byteTokens = false): string {
  if (!byteTokens) return `root ::= "${escapeLiteral(text)}"`;
  const encoder = new TextEncoder();
  const parts: string[] = [];
  let ascii = '';
  for (const ch of text) {
    if ((ch.codePointAt(0) ?? 0) < 0x80) {
      ascii += ch;
      continue;
    }
    if (ascii !== '') parts.push(`"${escapeLiteral(ascii)}"`);
    ascii = '';
    const spelled = [...encoder.encode(ch)].map((b) => `<0x${b.toString(16).toUpperCase()}>`).join('');
    parts.push(`("${escapeLiteral(ch)}" | "${spelled}")`);
  }
  if (ascii !== '' || parts.length === 0) parts.push(`"${escapeLiteral(ascii)}"`);
  return `root ::= ${parts.join(' ')}`;
}

/** A small built-in sample: plain English prose, a few sentences. */
export const SAMPLE_TEXT =
  'The river ran quietly past the old mill, where the miller kept a garden of beans and onions. Every morning he ' +
  'walked to the water, filled two buckets, and carried them back along the stone path. In the evening the children ' +
  'of the village came to listen to his stories about the years when the wheel still turned.';
