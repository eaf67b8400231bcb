/** What the studio shows about a loaded model, read off its headers and config: the facts a merge must agree on. */
import type { Model } from '../io/model/types';
import { numel } from '../io/safetensors/dtype';
import { architectureClass, architectureOf, layerCountOf } from '../plan/architectures';
import { adaptedWeights } from '../plan/lora';
import type { LoadedAdapter } from '../plan/lora';

export interface ModelSummary {
  readonly ref: string;
  readonly kind: 'hub' | 'local';
  /** `architectures[0]` of config.json, else `model_type`, else undefined. */
  readonly architecture: string | undefined;
  readonly layers: number;
  readonly params: number;
  /** The dtype holding most of the weights. */
  readonly dtype: string;
  /** Bytes of the weights (tensor data, headers left out): what the Hub's search reports as the model's size too. */
  readonly sizeBytes: number;
  /** Hub: the pinned commit sha. */
  readonly revision: string | undefined;
  /** Tensor shapes by name, embeddings and LM head left out (their rows are the vocabulary, which a merge may crop). */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  /** Rows of the embeddings: the vocabulary size the weights hold. */
  readonly vocab: number | undefined;
  /** A PEFT adapter folder (adapter_config.json, no config.json): baked into a model by a LoRA node, not merged itself. */
  readonly adapter: boolean;
}

/** What the studio shows about a LoRA adapter, read off its headers and adapter_config.json. */
export interface AdapterSummary {
  readonly rank: number;
  readonly alpha: number;
  /** The factor B·A is multiplied by when baked. */
  readonly scale: number;
  /** How many base weights it changes. */
  readonly weights: number;
  /** The module kinds it adapts (`q_proj`, `v_proj`, …). */
  readonly targets: readonly string[];
  readonly params: number;
  readonly dtype: string;
  readonly sizeBytes: number;
  readonly revision: string | undefined;
}

/** Parameter count, main dtype and weight bytes of a folder's tensors. */
function tensorTotals(model: Model): { params: number; dtype: string; sizeBytes: number } {
  let params = 0;
  const byDtype = new Map<string, number>();
  for (const tensor of model.tensors.values()) {
    const n = numel(tensor.shape);
    params += n;
    byDtype.set(tensor.dtype, (byDtype.get(tensor.dtype) ?? 0) + n);
  }
  const dtype = [...byDtype.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  // Tensor bytes, not file sizes: the Hub's search counts the weights from the same headers, so both show one number.
  const sizeBytes = [...model.tensors.values()].reduce((sum, t) => sum + t.length, 0);
  return { params, dtype, sizeBytes };
}

export function summariseModel(model: Model): ModelSummary {
  const modelType = model.config?.['model_type'];
  const arch = architectureOf(model);
  const shapes = Object.fromEntries([...model.tensors.values()].filter((t) => !arch.isEmbedding(t.name)).map((t) => [t.name, t.shape]));
  const embedding = [...model.tensors.values()].find((t) => arch.isEmbedding(t.name) && t.shape.length === 2);
  return {
    ref: model.ref,
    kind: model.folder.kind,
    architecture: architectureClass(model) ?? (typeof modelType === 'string' ? modelType : undefined),
    layers: layerCountOf(model),
    ...tensorTotals(model),
    revision: model.revision,
    shapes,
    vocab: embedding?.shape[0],
    adapter: model.config === undefined && model.files.some((f) => f.path === 'adapter_config.json'),
  };
}

export function summariseAdapter(adapter: LoadedAdapter): AdapterSummary {
  const weights = adaptedWeights(adapter.model);
  const targets = [...new Set(weights.map((w) => w.split('.').at(-2) ?? w))].sort();
  const { rank, alpha, scale } = adapter.config;
  return { rank, alpha, scale, weights: weights.length, targets, ...tensorTotals(adapter.model), revision: adapter.model.revision };
}

/**
 * Why two models cannot be merged together, or undefined when their headers agree on architecture, depth and the
 * shape of every weight they share (vocabulary sizes may differ: the merge crops the embeddings, as mergekit does).
 */
export function incompatibility(a: ModelSummary, b: ModelSummary): string | undefined {
  if (a.architecture !== undefined && b.architecture !== undefined && a.architecture !== b.architecture) {
    return `${a.ref} is ${a.architecture} but ${b.ref} is ${b.architecture}: models in one merge need the same architecture.`;
  }
  if (a.layers !== b.layers) {
    return `${a.ref} has ${a.layers} layers but ${b.ref} has ${b.layers}: models in one merge need the same layer count (use slices to stack layers).`;
  }
  for (const [name, shape] of Object.entries(a.shapes)) {
    const other = b.shapes[name];
    if (other !== undefined && other.join() !== shape.join()) {
      return `${a.ref} has ${name} of [${shape.join(', ')}] but ${b.ref} has [${other.join(', ')}]: models in one merge need the same hidden and intermediate sizes.`;
    }
  }
  return undefined;
}

/** `7.2B`, `125M`, `98k` parameters. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}

/** Why an adapter folder cannot be wired into a merge as a model. */
export function adapterAsModel(ref: string): string {
  return `${ref} is a LoRA adapter, not a model: put it on its base model with a LoRA node (select the model, then Add LoRA node).`;
}
