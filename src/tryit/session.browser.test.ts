/**
 * The in-tab llama.cpp (wllama, WebAssembly) against the native one (node-llama-cpp, through a browser command that
 * runs in Node) on the same GGUF: the demo merge exported as Q8_0 by the studio's GGUF writer. Greedy tokens at
 * temperature 0 with a fixed seed must be identical, and the perplexity of a sample within 1e-3 relative.
 *
 * The demo's random weights make byte tokens the model's favourite on many prompts; the prompts here were picked with
 * node-llama-cpp so that (a) the greedy walk runs through byte tokens 0x80 and up, which llama-server cannot write out
 * as JSON unless they are relabelled (`byte-tokens.ts`), and (b) every step's top token leads the runner-up by at least
 * 0.02 in log-probability, far above the two builds' float noise (elsewhere the near-flat distributions tie).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';

import type { LlamaReferenceInput, LlamaReferenceOutput } from '../../test/llama-reference';
import { demoMergeGguf } from './demo-gguf.test-support';
import { readGgufVocab } from './gguf-vocab';
import type { GgufVocab } from './gguf-vocab';
import { perplexityOf, SAMPLE_TEXT } from './perplexity';
import { TryItSession } from './session';

declare module 'vitest/browser' {
  interface BrowserCommands {
    llamaReference: (input: LlamaReferenceInput) => Promise<LlamaReferenceOutput>;
  }
}

const GREEDY: readonly { readonly prompt: string; readonly text: string }[] = [
  // <0xC6> <0x88> three times: "ƈ" (U+0188) split over two tokens each time.
  { prompt: 'water The', text: 'ƈƈƈ' },
  // <0xC6> six times: lead bytes that never get their continuation, each shown as U+FFFD.
  { prompt: 'river old', text: '\uFFFD'.repeat(6) },
];
const MAX_TOKENS = 6;
const TEXTS = ['A merged model keeps the best of both parents.', SAMPLE_TEXT, 'Ein naïver Gärtner aß ƈ.'];

let gguf: Uint8Array;
let vocab: GgufVocab;
let session: TryItSession;

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A token's bytes as llama.cpp spells it from the unchanged file: a byte token its byte, a control token nothing. */
function originalPiece(id: number): number[] {
  const text = vocab.tokens[id] ?? '';
  const type = vocab.types[id];
  if (type === 6) return [Number.parseInt(text.slice(3, 5), 16)];
  if (type === 3) return [];
  return [...new TextEncoder().encode(text.replaceAll('\u2581', ' '))];
}

beforeAll(async () => {
  gguf = await demoMergeGguf('q8_0');
  const read = await readGgufVocab(new Blob([gguf as BlobPart]));
  if (read === undefined) throw new Error('The demo GGUF has no vocabulary.');
  vocab = read;
  session = await TryItSession.load('demo-merge', [new Blob([gguf as BlobPart])], { contextSize: 512 });
});

afterAll(async () => {
  await session?.dispose();
});

describe('the demo merge as GGUF in wllama, against node-llama-cpp on the same file', () => {
  it('generates the same greedy tokens at temperature 0, lone UTF-8 bytes included, and spells them as UTF-8 decodes them', { timeout: 180_000 }, async () => {
    expect(session.info.vocabulary).toBe(2048);
    for (const { prompt, text } of GREEDY) {
      const sampling = { temperature: 0, topP: 1, maxTokens: MAX_TOKENS, seed: 1234 };
      const first = await session.complete(prompt, sampling);
      const again = await session.complete(prompt, { ...sampling, seed: 99 });
      expect(again.ids).toEqual(first.ids);
      const reference = await commands.llamaReference({ gguf: base64(gguf), prompt, maxTokens: MAX_TOKENS, scored: [] });
      expect(first.ids).toEqual(reference.greedy);
      const bytes = first.ids.flatMap(originalPiece);
      expect(bytes.some((b) => b >= 0x80)).toBe(true);
      expect(first.text).toBe(new TextDecoder().decode(Uint8Array.from(bytes)));
      expect(first.text).toBe(text);
    }
  });

  it('chats through byte tokens: the streamed text is the decoded bytes, never a relabelled token text', { timeout: 180_000 }, async () => {
    let streamed = '';
    const done = await session.chat([{ role: 'user', content: 'river old' }], { temperature: 0, topP: 1, maxTokens: 12, seed: 1 }, (delta) => (streamed += delta));
    expect(done.tokens).toBeGreaterThan(0);
    expect(done.text).toBe(streamed);
    expect(done.text).not.toMatch(/<0x[89A-F][0-9A-F]>/);
  });

  // The second text's top guesses are byte tokens at many steps (what n_probs reports), the third needs byte tokens
  // for "ï", "ä", "ß" and "ƈ", which the demo vocabulary lacks.
  it('scores texts to the same perplexity, where byte tokens are the top guess or spell a character', { timeout: 180_000 }, async () => {
    for (const text of TEXTS) {
      const scored = await session.score(text);
      const reference = await commands.llamaReference({ gguf: base64(gguf), prompt: '', maxTokens: 0, scored: scored.tokens.map((t) => t.id) });
      const inTab = perplexityOf(scored.tokens.map((t) => t.logprob));
      const native = perplexityOf(reference.logprobs);
      console.info(`demo merge q8_0, ${JSON.stringify(text.slice(0, 24))}: ${scored.tokens.length} tokens, perplexity in the tab ${inTab.toFixed(4)}, node-llama-cpp ${native.toFixed(4)}`);
      expect(Math.abs(inTab - native) / native).toBeLessThan(1e-3);
    }
    const spelled = await session.score(TEXTS[2] ?? '');
    expect(spelled.tokens.some((t) => (vocab.types[t.id] ?? 0) === 6)).toBe(true);
  });
});
