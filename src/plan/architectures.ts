/**
 * Architecture knowledge as data (mergekit-spec §5): for each model family, where its layer stack is, which tensors
 * sit before it (embeddings: taken from a recipe's first slice) and after it (final norm, LM head: from the last
 * slice), which of them are embeddings (vocabulary-sized rows), which are tied, and which config key counts layers.
 * A model whose `architectures[0]` is not listed is handled by inference from tensor names (§5.3): the first
 * `.<digits>.` component is the layer index, every other tensor is a pre weight.
 */
import type { Model } from '../io/model/types';

export interface Architecture {
  /** Our id, and the Hugging Face class names it covers. */
  readonly id: string;
  readonly classes: readonly string[];
  /** Prefix of a layer's tensors before the index, e.g. `model.layers.` (a trailing `.` follows the index). */
  readonly layerPrefix: string;
  /** Tensors before the layer stack. */
  readonly pre: readonly string[];
  /** Tensors after the layer stack. */
  readonly post: readonly string[];
  /** Tensors whose rows are the vocabulary (input embeddings and LM heads). */
  readonly embeddings: readonly string[];
  /** A tensor absent from a checkpoint that is its twin (LM head tied to the input embeddings). */
  readonly tied: Readonly<Record<string, string>>;
  /** Dotted config path of the layer count. */
  readonly layerCountKey: string;
  readonly vocabSizeKey: string;
  /** A name prefix some checkpoints of this family omit (GPT-2's `transformer.`). */
  readonly optionalPrefix?: string;
}

const LLAMA_LIKE = {
  layerPrefix: 'model.layers.',
  pre: ['model.embed_tokens.weight'],
  post: ['model.norm.weight', 'lm_head.weight'],
  embeddings: ['model.embed_tokens.weight', 'lm_head.weight'],
  tied: { 'lm_head.weight': 'model.embed_tokens.weight' },
  layerCountKey: 'num_hidden_layers',
  vocabSizeKey: 'vocab_size',
} as const;

export const ARCHITECTURES: readonly Architecture[] = [
  { id: 'llama', classes: ['LlamaForCausalLM'], ...LLAMA_LIKE },
  { id: 'mistral', classes: ['MistralForCausalLM'], ...LLAMA_LIKE },
  { id: 'qwen2', classes: ['Qwen2ForCausalLM'], ...LLAMA_LIKE },
  { id: 'qwen3', classes: ['Qwen3ForCausalLM'], ...LLAMA_LIKE },
  { id: 'gemma', classes: ['GemmaForCausalLM'], ...LLAMA_LIKE },
  { id: 'gemma2', classes: ['Gemma2ForCausalLM'], ...LLAMA_LIKE },
  { id: 'gemma3', classes: ['Gemma3ForCausalLM'], ...LLAMA_LIKE },
  { id: 'phi3', classes: ['Phi3ForCausalLM'], ...LLAMA_LIKE },
  { id: 'olmo2', classes: ['Olmo2ForCausalLM'], ...LLAMA_LIKE },
  { id: 'granite', classes: ['GraniteForCausalLM'], ...LLAMA_LIKE },
  {
    id: 'gpt2',
    classes: ['GPT2LMHeadModel'],
    layerPrefix: 'transformer.h.',
    pre: ['transformer.wte.weight', 'transformer.wpe.weight'],
    post: ['transformer.ln_f.weight', 'transformer.ln_f.bias', 'lm_head.weight'],
    embeddings: ['transformer.wte.weight', 'lm_head.weight'],
    tied: { 'lm_head.weight': 'transformer.wte.weight' },
    layerCountKey: 'n_layer',
    vocabSizeKey: 'vocab_size',
    optionalPrefix: 'transformer.',
  },
];

/** What is known about a model's tensors: a listed family, or inference from names. */
export interface ArchitectureView {
  readonly id: string;
  /** True when the family is listed (not inferred). */
  readonly known: boolean;
  layerIndex(name: string): number | undefined;
  /** `name` with its layer index replaced by `layer` (names outside the stack unchanged). */
  withLayer(name: string, layer: number): string;
  /** Where a tensor outside the layer stack sits. */
  side(name: string): 'pre' | 'post';
  isEmbedding(name: string): boolean;
  /** Names the tensor may be stored under when it is tied (absent itself), in order of preference. */
  tiedTwins(name: string): readonly string[];
  readonly layerCountKey: string | undefined;
  readonly vocabSizeKey: string;
}

/** The class name in a model's config (`architectures[0]`). */
export function architectureClass(model: Model): string | undefined {
  const list = model.config?.['architectures'];
  return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : undefined;
}

/** Views by model: planning asks for one per tensor of every stage (thousands for a 70B recipe). */
const views = new WeakMap<Model, ArchitectureView>();

export function architectureOf(model: Model): ArchitectureView {
  let view = views.get(model);
  if (view === undefined) {
    const cls = architectureClass(model);
    const known = ARCHITECTURES.find((a) => cls !== undefined && a.classes.includes(cls));
    view = known === undefined ? inferred() : listed(known);
    views.set(model, view);
  }
  return view;
}

function listed(arch: Architecture): ArchitectureView {
  const known = new Set([...arch.pre, ...arch.post, ...arch.embeddings, ...Object.keys(arch.tied)]);
  const optional = arch.optionalPrefix;
  /** The table's spelling of a checkpoint name (GPT-2 checkpoints may omit `transformer.`). */
  const strip = (name: string) => (known.has(name) || optional === undefined || !known.has(optional + name) ? name : optional + name);
  const prefixes = [arch.layerPrefix, ...(arch.optionalPrefix === undefined ? [] : [arch.layerPrefix.slice(arch.optionalPrefix.length)])];
  const find = (name: string): { prefix: string; index: number; rest: string } | undefined => {
    for (const prefix of prefixes) {
      if (!name.startsWith(prefix)) continue;
      const match = /^(\d+)\./.exec(name.slice(prefix.length));
      if (match !== null) return { prefix, index: Number(match[1]), rest: name.slice(prefix.length + (match[1] as string).length) };
    }
    return undefined;
  };
  return {
    id: arch.id,
    known: true,
    layerIndex: (name) => find(name)?.index,
    withLayer: (name, layer) => {
      const found = find(name);
      return found === undefined ? name : `${found.prefix}${layer}${found.rest}`;
    },
    side: (name) => (arch.post.includes(strip(name)) ? 'post' : 'pre'),
    isEmbedding: (name) => arch.embeddings.includes(strip(name)),
    tiedTwins: (name) => {
      const twin = arch.tied[strip(name)];
      if (twin === undefined) return [];
      return optional !== undefined && twin.startsWith(optional) ? [twin, twin.slice(optional.length)] : [twin];
    },
    layerCountKey: arch.layerCountKey,
    vocabSizeKey: arch.vocabSizeKey,
  };
}

/** mergekit's inference for unknown families: the first `.<digits>.` component is the layer index; no post weights. */
function inferred(): ArchitectureView {
  const pattern = /(^|\.)(\d+)\./;
  return {
    id: 'inferred',
    known: false,
    layerIndex: inferLayerIndex,
    withLayer: (name, layer) => name.replace(pattern, (_, lead: string) => `${lead}${layer}.`),
    side: () => 'pre',
    isEmbedding: (name) => /(^|\.)(embed_tokens|wte|word_embeddings|embed_in)\.weight$|^lm_head\.weight$|(^|\.)embed_out\.weight$/.test(name),
    tiedTwins: (name) => (name === 'lm_head.weight' ? ['model.embed_tokens.weight'] : []),
    layerCountKey: undefined,
    vocabSizeKey: 'vocab_size',
  };
}

/** The first `.<digits>.` path component of a tensor name (mergekit-spec §5.3), or undefined. */
export function inferLayerIndex(name: string): number | undefined {
  const match = /(?:^|\.)(\d+)\./.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** Reads a dotted config path such as `text_config.num_hidden_layers`. */
export function configValue(config: Readonly<Record<string, unknown>> | undefined, path: string): unknown {
  let value: unknown = config;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Number of layers: the family's config key (or num_hidden_layers / n_layer), else counted from tensor names. */
export function layerCountOf(model: Model): number {
  const arch = architectureOf(model);
  for (const key of [arch.layerCountKey, 'num_hidden_layers', 'n_layer']) {
    if (key === undefined) continue;
    const configured = configValue(model.config, key);
    if (typeof configured === 'number' && Number.isInteger(configured) && configured > 0) return configured;
  }
  let max = -1;
  for (const name of model.tensors.keys()) max = Math.max(max, arch.layerIndex(name) ?? -1);
  return max + 1;
}
