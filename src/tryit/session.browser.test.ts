/**
 * The in-tab llama.cpp (wllama, WebAssembly) against the native one (node-llama-cpp, through a browser command that
 * runs in Node) on the same GGUF: the demo merge exported as Q8_0 by the studio's GGUF writer. Greedy tokens at
 * temperature 0 with a fixed seed must be identical, and the perplexity of a sample within 1e-3 relative.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';

import type { LlamaReferenceInput, LlamaReferenceOutput } from '../../test/llama-reference';
import { demoMergeGguf } from './demo-gguf.test-support';
import { perplexityOf } from './perplexity';
import { PRINTABLE_GRAMMAR, TryItSession } from './session';

declare module 'vitest/browser' {
  interface BrowserCommands {
    llamaReference: (input: LlamaReferenceInput) => Promise<LlamaReferenceOutput>;
  }
}

const PROMPT = 'The quick brown fox';
// The demo's random weights give near-flat distributions: after 10 greedy steps two tokens come within float noise of
// each other and the WebAssembly and native builds (different summation order) may pick either.
const MAX_TOKENS = 10;
// A text the demo's random weights never put a lone UTF-8 byte first on (which the in-tab llama.cpp cannot write out).
const SAMPLE = 'A merged model keeps the best of both parents.';

let gguf: Uint8Array;
let session: TryItSession;

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

beforeAll(async () => {
  gguf = await demoMergeGguf('q8_0');
  session = await TryItSession.load('demo-merge', [new Blob([gguf as BlobPart])], { contextSize: 512 });
});

afterAll(async () => {
  await session?.dispose();
});

describe('the demo merge as GGUF in wllama, against node-llama-cpp on the same file', () => {
  it('generates the same greedy tokens at temperature 0 and scores the sample to the same perplexity', { timeout: 180_000 }, async () => {
    expect(session.info.vocabulary).toBe(2048);
    const sampling = { temperature: 0, topP: 1, maxTokens: MAX_TOKENS, seed: 1234 };
    const first = await session.complete(PROMPT, sampling, PRINTABLE_GRAMMAR);
    const again = await session.complete(PROMPT, { ...sampling, seed: 99 }, PRINTABLE_GRAMMAR);
    expect(again.ids).toEqual(first.ids);
    expect(first.ids.length).toBeGreaterThan(0);

    const scored = await session.score(SAMPLE);
    const reference = await commands.llamaReference({ gguf: base64(gguf), prompt: PROMPT, maxTokens: MAX_TOKENS, grammar: PRINTABLE_GRAMMAR, scored: scored.tokens.map((t) => t.id) });
    // The browser stops at max_tokens; the reference stops there too or at an end-of-generation token.
    expect(first.ids).toEqual(reference.greedy.slice(0, first.ids.length));
    expect(first.ids.length).toBe(Math.min(MAX_TOKENS, reference.greedy.length));

    const inTab = perplexityOf(scored.tokens.map((t) => t.logprob));
    const native = perplexityOf(reference.logprobs);
    console.info(`demo merge q8_0: ${scored.tokens.length} tokens, perplexity in the tab ${inTab.toFixed(4)}, node-llama-cpp ${native.toFixed(4)}`);
    expect(Math.abs(inTab - native) / native).toBeLessThan(1e-3);
  });
});
