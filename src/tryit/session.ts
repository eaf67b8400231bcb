/**
 * One GGUF model loaded into llama.cpp compiled to WebAssembly (`@wllama/wllama`, which runs it in its own module
 * worker): streamed chat with the model's chat template, plain completions, and forced-decoding scores for perplexity.
 * Threads are used when the page is cross-origin isolated (SharedArrayBuffer available); otherwise one thread.
 * Any failure inside llama.cpp comes back as a typed `AppError` naming the model. Byte tokens are relabelled in a copy
 * of the header and spelled back here (`byte-tokens.ts`), so a lone UTF-8 byte never breaks a step.
 */
import type { ChatCompletionChunk, ChatCompletionMessage, Wllama } from '@wllama/wllama';

import { AppError } from '../shared/errors';
import { relabelByteTokens, TokenTextDecoder } from './byte-tokens';
import { literalGrammar } from './perplexity';
import type { ScoredToken } from './perplexity';
import { WLLAMA_ASSETS } from './wllama-wasm';

export interface LoadOptions {
  /** Context length in tokens (default 2048). */
  readonly contextSize?: number;
  /** Threads (default: wllama's choice, half the cores, when the page is cross-origin isolated). */
  readonly threads?: number;
  /** Use WebGPU for the layers where the browser has it (default false: CPU only, reproducible). */
  readonly gpu?: boolean;
}

export interface Sampling {
  /** 0 = greedy. */
  readonly temperature: number;
  readonly topP: number;
  readonly maxTokens: number;
  readonly seed: number;
}

export interface ChatTurn {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface Generated {
  readonly text: string;
  /** The generated token ids, end-of-generation tokens left out. */
  readonly ids: readonly number[];
  readonly tokens: number;
  readonly tokensPerSecond: number;
  readonly stopped: boolean;
}

export interface SessionInfo {
  readonly name: string;
  readonly multiThread: boolean;
  readonly threads: number;
  readonly chatTemplate: string | undefined;
  readonly vocabulary: number;
  readonly layers: number;
}

function failure(name: string, what: string, error: unknown): AppError {
  const detail = error instanceof Error ? error.message : String(error);
  return new AppError('E_INTERNAL', `${name}: ${what} failed in llama.cpp (${detail}).`, {
    context: { model: name },
    hint: 'Reload the model; if it fails again the file may be too large for this tab or not a llama.cpp model.',
  });
}

interface LogprobEntry {
  readonly id?: unknown;
  readonly token?: unknown;
  readonly logprob?: unknown;
}

type ChatParams = Parameters<Wllama['createChatCompletion']>[0] & { stream: true; onData: (c: ChatCompletionChunk) => void; n_probs: number };

export class TryItSession {
  private constructor(
    private readonly wllama: Wllama,
    readonly info: SessionInfo,
    /** Relabelled byte token id → its byte. */
    private readonly bytes: ReadonlyMap<number, number>,
    /** Tokens that could spell a relabelled token's text (`byte-tokens.ts`). */
    private readonly angled: readonly number[],
  ) {}

  /** Loads `files` (one GGUF, or the parts of a split one, in order) under `name`. */
  static async load(name: string, files: readonly Blob[], options: LoadOptions = {}): Promise<TryItSession> {
    if (files.length === 0 || files.some((f) => f.size === 0)) throw new AppError('E_FILE_MISSING', `${name}: no GGUF bytes to load.`, { context: { model: name } });
    // Loaded on first use, so the studio's first paint does not carry llama.cpp's glue code.
    const { Wllama: WllamaClass } = await import('@wllama/wllama');
    const wllama = new WllamaClass(WLLAMA_ASSETS, { suppressNativeLog: true, allowOffline: true });
    let gguf;
    try {
      gguf = await relabelByteTokens(files);
    } catch (error) {
      throw failure(name, 'reading the GGUF header', error);
    }
    try {
      await wllama.loadModel([...gguf.files], {
        n_ctx: options.contextSize ?? 2048,
        n_gpu_layers: options.gpu === true ? 99999 : 0,
        n_parallel: 1,
        // Plain attention, as node-llama-cpp runs by default (wllama's default is flash attention on the CPU): the
        // tests compare the two builds under the same setting.
        flash_attn: false,
        ...(options.threads === undefined ? {} : { n_threads: options.threads }),
      });
    } catch (error) {
      await wllama.exit().catch(() => undefined);
      throw failure(name, 'loading the model', error);
    }
    const meta = wllama.getModelMetadata();
    return new TryItSession(wllama, {
      name,
      multiThread: wllama.isMultithread(),
      threads: wllama.getNumThreads(),
      chatTemplate: wllama.getChatTemplate() ?? undefined,
      vocabulary: meta.hparams.nVocab,
      layers: meta.hparams.nLayer,
    }, gguf.bytes, gguf.angled);
  }

  /** Streams the assistant's answer to `messages` through `onText`; `signal` stops it (the text so far is kept). */
  async chat(messages: readonly ChatTurn[], sampling: Sampling, onText: (delta: string) => void, signal?: AbortSignal): Promise<Generated> {
    const started = performance.now();
    let text = '';
    const ids: number[] = [];
    const decoder = new TokenTextDecoder(this.bytes);
    const emit = (delta: string) => {
      if (delta === '') return;
      text += delta;
      onText(delta);
    };
    try {
      await this.wllama.createChatCompletion({
        messages: messages.map((m): ChatCompletionMessage => ({ role: m.role, content: m.content }) as ChatCompletionMessage),
        max_tokens: sampling.maxTokens,
        temperature: sampling.temperature,
        top_p: sampling.topP,
        seed: sampling.seed,
        stream: true,
        // Each chunk then names its tokens' ids, which the decoder spells (relabelled byte tokens included).
        n_probs: 1,
        ...(signal === undefined ? {} : { abortSignal: signal }),
        onData: (chunk: ChatCompletionChunk) => {
          for (const entry of entriesOf(chunk.choices[0]?.logprobs)) {
            if (this.wllama.isTokenEOG(entry.id)) continue;
            ids.push(entry.id);
            emit(decoder.push(entry.id, entry.text));
          }
        },
      } as ChatParams);
    } catch (error) {
      if (signal?.aborted !== true) throw failure(this.info.name, 'chat', error);
    }
    emit(decoder.end());
    const seconds = (performance.now() - started) / 1000;
    return { text, ids, tokens: ids.length, tokensPerSecond: seconds > 0 ? ids.length / seconds : 0, stopped: signal?.aborted === true };
  }

  /** A raw completion of `prompt`; returns the generated token ids (greedy at temperature 0). */
  async complete(prompt: string, sampling: Sampling, grammar?: string): Promise<{ readonly text: string; readonly ids: readonly number[] }> {
    try {
      const response = await this.wllama.createCompletion({
        prompt,
        max_tokens: sampling.maxTokens,
        temperature: sampling.temperature,
        top_p: sampling.topP,
        seed: sampling.seed,
        ...(grammar === undefined ? {} : { grammar }),
        n_probs: 1,
      });
      const entries = entriesOf(response.choices[0]?.logprobs);
      const spelled = TokenTextDecoder.spell(this.bytes, entries.filter((e) => !this.wllama.isTokenEOG(e.id)));
      return { text: spelled, ids: entries.map((e) => e.id) };
    } catch (error) {
      throw failure(this.info.name, 'completion', error);
    }
  }

  /**
   * Walks the model along `text` after its start-of-text (a grammar admits only that text, greedy) and returns each
   * token's log-probability under the model, with the seconds it took.
   */
  async score(text: string): Promise<{ readonly tokens: readonly ScoredToken[]; readonly seconds: number }> {
    if (text.length === 0) throw new AppError('E_UNSUPPORTED', 'No text to score.', { hint: 'Paste some text or use the sample.' });
    const started = performance.now();
    let entries: ScoredToken[];
    try {
      const response = await this.wllama.createCompletion({
        prompt: '',
        max_tokens: new TextEncoder().encode(text).length + 1,
        temperature: 0,
        seed: 0,
        grammar: literalGrammar(text, this.bytes.size > 0),
        n_probs: 1,
        // Only a relabelled byte token may spell `<0xNN>` in a text without `<` (a bias sampler: the reported
        // log-probabilities are still those of the raw logits).
        ...(this.bytes.size > 0 && !text.includes('<') ? { logit_bias: this.angled.map((id) => [id, false]) } : {}),
      } as unknown as Parameters<Wllama['createCompletion']>[0] & { stream?: false });
      entries = entriesOf(response.choices[0]?.logprobs);
    } catch (error) {
      throw failure(this.info.name, 'scoring the text', error);
    }
    const seconds = (performance.now() - started) / 1000;
    const scored = entries.filter((e) => !this.wllama.isTokenEOG(e.id));
    if (TokenTextDecoder.spell(this.bytes, scored) !== text) {
      throw new AppError('E_INTERNAL', `${this.info.name}: the scored tokens do not spell the text.`, { context: { model: this.info.name }, hint: 'Try a shorter text.' });
    }
    return { tokens: scored, seconds };
  }

  async dispose(): Promise<void> {
    await this.wllama.exit();
  }
}

/** The per-token entries of llama-server's `logprobs.content` (the shape wllama passes through). */
function entriesOf(logprobs: unknown): ScoredToken[] {
  const content = (logprobs as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content)) return [];
  return (content as LogprobEntry[]).map((e) => {
    if (typeof e.id !== 'number' || typeof e.logprob !== 'number') throw new AppError('E_INTERNAL', 'llama.cpp answered token scores in an unexpected shape.');
    return { id: e.id, text: typeof e.token === 'string' ? e.token : '', logprob: e.logprob };
  });
}
