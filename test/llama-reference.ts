/**
 * node-llama-cpp's own answers for a GGUF the in-tab llama.cpp (wllama) also ran, so the two builds can be compared
 * on the very same bytes:
 * - greedy tokens after `prompt` (optionally under the browser's GBNF grammar, llama.cpp's own grammar sampler);
 * - the natural log-probability of each of `scored` after the start-of-text token.
 * `llamaReference` is a Vitest browser command (runs in Node, the GGUF sent as base64); `llamaOnFile` reads a path.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LlamaGrammarEvaluationState, LlamaLogLevel, getLlama } from 'node-llama-cpp';
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

export interface LlamaReferenceInput {
  /** The GGUF bytes, base64. */
  readonly gguf: string;
  readonly prompt: string;
  readonly maxTokens: number;
  /** The GBNF grammar the browser generated under (none: plain greedy). */
  readonly grammar?: string;
  readonly scored: readonly number[];
}

export interface LlamaReferenceOutput {
  readonly greedy: readonly number[];
  readonly logprobs: readonly number[];
}

export interface FileReferenceInput extends Omit<LlamaReferenceInput, 'gguf'> {
  /** Parse special-token texts in the prompt (a chat template's markers), as llama-server does. */
  readonly specialTokens?: boolean;
}

/**
 * The log-probability of each of `ids` after the start-of-text, one token per evaluation, as the tab's forced walk
 * decodes them (a batch would take llama.cpp's other kernels, a few 1e-4 away on random weights).
 */
async function logprobsOf(sequence: LlamaContextSequence, bos: Token, ids: readonly number[]): Promise<number[]> {
  const next = { generateNext: { probabilities: true } } as const;
  await sequence.clearHistory();
  const tokens = [bos, ...(ids as Token[])];
  const out: number[] = [];
  for (const [i, id] of ids.entries()) {
    const [evaluated] = await sequence.controlledEvaluate([[tokens[i] as Token, next]]);
    out.push(Math.log(evaluated?.next?.probabilities?.get(id as Token) ?? 0));
  }
  return out;
}

async function greedyOf(sequence: LlamaContextSequence, model: LlamaModel, prompt: readonly Token[], maxTokens: number, grammarState?: LlamaGrammarEvaluationState): Promise<number[]> {
  const out: number[] = [];
  if (maxTokens <= 0) return out;
  await sequence.clearHistory();
  for await (const token of sequence.evaluate([...prompt], { temperature: 0, ...(grammarState === undefined ? {} : { grammarEvaluationState: grammarState }) })) {
    out.push(token);
    if (model.isEogToken(token) || out.length >= maxTokens) break;
  }
  return out;
}

/** node-llama-cpp (one thread: ggml's spin-waits stall on a loaded 2-core machine) on the GGUF at `modelPath`. */
export async function llamaOnFile(modelPath: string, input: FileReferenceInput): Promise<LlamaReferenceOutput> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  try {
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: 512, batchSize: 512, flashAttention: false, threads: 1 });
    const bos = model.tokens.bos;
    if (bos === null) throw new Error('The model has no BOS token.');
    const sequence = context.getSequence();
    const grammarState = async (text: string) => new LlamaGrammarEvaluationState({ model, grammar: await llama.createGrammar({ grammar: text }) });

    const prompt = [bos, ...model.tokenize(input.prompt, input.specialTokens === true)];
    const greedy = await greedyOf(sequence, model, prompt, input.maxTokens, input.grammar === undefined ? undefined : await grammarState(input.grammar));
    const logprobs = input.scored.length === 0 ? [] : await logprobsOf(sequence, bos, input.scored);
    await context.dispose();
    await model.dispose();
    return { greedy, logprobs };
  } finally {
    await llama.dispose();
  }
}

export async function llamaReference(_context: unknown, input: LlamaReferenceInput): Promise<LlamaReferenceOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'merge-studio-llama-ref-'));
  try {
    const modelPath = join(dir, 'model.gguf');
    await writeFile(modelPath, Buffer.from(input.gguf, 'base64'));
    return await llamaOnFile(modelPath, input);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
