/**
 * A Vitest browser command (runs in Node): node-llama-cpp's own answers for a GGUF the browser test made, so the
 * in-tab llama.cpp (wllama) can be compared with the native one on the very same bytes:
 * - greedy tokens after `prompt` under the browser's GBNF grammar (llama.cpp's own grammar sampler);
 * - the natural log-probability of each of `scored` after the start-of-text token.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LlamaGrammarEvaluationState, LlamaLogLevel, getLlama } from 'node-llama-cpp';
import type { Token } from 'node-llama-cpp';

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

export async function llamaReference(_context: unknown, input: LlamaReferenceInput): Promise<LlamaReferenceOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'merge-studio-llama-ref-'));
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  try {
    const modelPath = join(dir, 'model.gguf');
    await writeFile(modelPath, Buffer.from(input.gguf, 'base64'));
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: 512, batchSize: 512, flashAttention: false, threads: 1 });
    const bos = model.tokens.bos;
    if (bos === null) throw new Error('The model has no BOS token.');
    const next = { generateNext: { probabilities: true } } as const;

    // Greedy under the same GBNF grammar as the browser (if any), sampled by llama.cpp's own grammar code.
    const grammar = input.grammar === undefined ? undefined : await llama.createGrammar({ grammar: input.grammar });
    const greedy: number[] = [];
    const sequence = context.getSequence();
    const prompt = [bos, ...model.tokenize(input.prompt)];
    const options = grammar === undefined ? {} : { grammarEvaluationState: new LlamaGrammarEvaluationState({ model, grammar }) };
    if (input.maxTokens > 0) {
      for await (const token of sequence.evaluate(prompt, { temperature: 0, ...options })) {
        greedy.push(token);
        if (model.isEogToken(token) || greedy.length >= input.maxTokens) break;
      }
    }

    await sequence.clearHistory();
    const tokens = [bos, ...(input.scored as Token[])];
    const evaluated = await sequence.controlledEvaluate(tokens.map((t, i) => (i < tokens.length - 1 ? [t, next] : t)));
    const logprobs = input.scored.map((id, i) => Math.log(evaluated[i]?.next?.probabilities?.get(id as Token) ?? 0));
    await context.dispose();
    await model.dispose();
    return { greedy, logprobs };
  } finally {
    await llama.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

