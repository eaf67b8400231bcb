/**
 * Hugging Face Llama-family checkpoints (Llama 2, Llama 3, Mistral) → GGUF architecture `llama`: tensor names, the
 * q/k row order llama.cpp's rope expects, and the hyperparameters from config.json with the exact GGUF types
 * llama.cpp reads them as. Anything this mapping does not know is refused with the reason, before a merge starts.
 */
import { AppError } from '../../shared/errors';
import { layerPathOf } from '../../shared/layer-name';
import type { GgufTensorSpec } from './layout';
import { f32, str, u32 } from './metadata';
import type { GgufKv, GgufOutputType, GgufTensorType } from './types';
import { OUTPUT_TENSOR_TYPE, TENSOR_TYPE } from './types';

export const LLAMA_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM'] as const;

export interface SourceTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface MappedTensor extends GgufTensorSpec {
  /** The HF tensor it comes from. */
  readonly source: string;
  /** Set for q/k weights: rows per head, for the rope reordering. */
  readonly rowsPerHead?: number;
}

export interface LlamaHparams {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Llama 3.1-style rope scaling: per-frequency divisors, written as the F32 tensor `rope_freqs.weight`. */
  readonly ropeFreqs?: Float32Array;
}

const BLOCK_NAMES: Readonly<Record<string, string>> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};
const TOP_NAMES: Readonly<Record<string, string>> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };

function configError(what: string): AppError {
  return new AppError('E_UNSUPPORTED', `Cannot export GGUF: config.json ${what}.`, { context: { file: 'config.json' } });
}

function int(config: Record<string, unknown>, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw configError(`has no positive integer ${key}`);
  return value;
}

function num(config: Record<string, unknown>, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw configError(`has no number ${key}`);
  return value;
}

/** Checks the architecture and reads the shape facts the mapping needs. */
export function llamaHparams(config: Record<string, unknown>): LlamaHparams {
  const arch = Array.isArray(config.architectures) ? config.architectures[0] : undefined;
  if (typeof arch !== 'string' || !(LLAMA_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new AppError('E_UNSUPPORTED', `GGUF export supports ${LLAMA_ARCHITECTURES.join(' and ')}; this model is ${String(arch ?? 'of unknown architecture')}.`, {
      context: { file: 'config.json' },
      hint: 'Write safetensors and convert with llama.cpp, or pick a Llama or Mistral model.',
    });
  }
  const hidden = int(config, 'hidden_size');
  const heads = int(config, 'num_attention_heads');
  const headDim = int(config, 'head_dim', hidden / heads);
  const base = { layers: int(config, 'num_hidden_layers'), hidden, heads, kvHeads: int(config, 'num_key_value_heads', heads), headDim };
  const kind = ropeKind(config);
  if (kind === undefined || kind === 'linear') return base;
  if (kind === 'llama3') return { ...base, ropeFreqs: llama3RopeFreqs(config, headDim) };
  throw configError(`sets rope_scaling of type ${kind}, which the GGUF export does not write (linear and llama3 only)`);
}

function ropeKind(config: Record<string, unknown>): string | undefined {
  const rope = config.rope_scaling;
  if (rope === undefined || rope === null) return undefined;
  if (typeof rope !== 'object') throw configError('has a rope_scaling that is not an object');
  const r = rope as Record<string, unknown>;
  return String(r.rope_type ?? r.type);
}

/**
 * Llama 3.1's rope scaling as llama.cpp applies it: each rotary frequency is divided by a factor — 1 for short
 * wavelengths, `factor` for long ones, and a smooth blend between `old_ctx / high_freq_factor` and
 * `old_ctx / low_freq_factor`.
 */
function llama3RopeFreqs(config: Record<string, unknown>, headDim: number): Float32Array {
  const rope = config.rope_scaling as Record<string, unknown>;
  const factor = num(rope, 'factor', 8);
  const low = num(rope, 'low_freq_factor', 1);
  const high = num(rope, 'high_freq_factor', 4);
  const oldCtx = num(rope, 'original_max_position_embeddings', typeof config.original_max_position_embeddings === 'number' ? config.original_max_position_embeddings : 8192);
  const theta = num(config, 'rope_theta', 10000);
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < out.length; i++) {
    const wavelen = (2 * Math.PI) / Math.pow(theta, (-2 * i) / headDim);
    if (wavelen < oldCtx / high) out[i] = 1;
    else if (wavelen > oldCtx / low) out[i] = factor;
    else {
      const s = (oldCtx / wavelen - low) / (high - low);
      out[i] = 1 / ((1 - s) / factor + s);
    }
  }
  return out;
}

/** `llama.*` hyperparameters. */
export function llamaMetadata(config: Record<string, unknown>, hp: LlamaHparams, vocabSize: number): GgufKv[] {
  const kvs: GgufKv[] = [
    { key: 'llama.context_length', value: u32(int(config, 'max_position_embeddings')) },
    { key: 'llama.embedding_length', value: u32(hp.hidden) },
    { key: 'llama.block_count', value: u32(hp.layers) },
    { key: 'llama.feed_forward_length', value: u32(int(config, 'intermediate_size')) },
    { key: 'llama.attention.head_count', value: u32(hp.heads) },
    { key: 'llama.attention.head_count_kv', value: u32(hp.kvHeads) },
    { key: 'llama.rope.freq_base', value: f32(num(config, 'rope_theta', 10000)) },
    { key: 'llama.attention.layer_norm_rms_epsilon', value: f32(num(config, 'rms_norm_eps')) },
    { key: 'llama.rope.dimension_count', value: u32(hp.headDim) },
    { key: 'llama.vocab_size', value: u32(vocabSize) },
  ];
  if (config.head_dim !== undefined) kvs.push({ key: 'llama.attention.key_length', value: u32(hp.headDim) }, { key: 'llama.attention.value_length', value: u32(hp.headDim) });
  const rope = config.rope_scaling as Record<string, unknown> | null | undefined;
  if (ropeKind(config) === 'linear' && rope !== undefined && rope !== null) kvs.push({ key: 'llama.rope.scaling.type', value: str('linear') }, { key: 'llama.rope.scaling.factor', value: f32(num(rope, 'factor')) });
  return kvs;
}

/** The GGUF name of an HF tensor, or `undefined` for tensors GGUF drops (rotary caches). */
function ggufName(name: string): string | undefined {
  const top = TOP_NAMES[name];
  if (top !== undefined) return top;
  const path = layerPathOf(name);
  if (path === undefined || path.prefix !== 'model' || path.container !== 'layers' || path.module === '') return undefined;
  if (path.module === 'self_attn.rotary_emb.inv_freq') return '';
  const block = BLOCK_NAMES[path.module];
  return block === undefined ? undefined : `blk.${path.layer}.${block}`;
}

/** Maps every output tensor (in write order) to its GGUF tensor; refuses a tensor the llama mapping lacks. */
export function mapLlamaTensors(tensors: readonly SourceTensor[], hp: LlamaHparams, type: GgufOutputType): MappedTensor[] {
  const wanted: GgufTensorType = OUTPUT_TENSOR_TYPE[type];
  const mapped: MappedTensor[] = [];
  for (const t of tensors) {
    const name = ggufName(t.name);
    if (name === '') continue;
    if (name === undefined) {
      throw new AppError('E_UNSUPPORTED', `Tensor ${t.name} has no GGUF name in the llama mapping, so a GGUF export would be incomplete.`, {
        context: { tensor: t.name },
        hint: 'Export safetensors only for this model.',
      });
    }
    const ne = [...t.shape].reverse();
    const ne0 = ne[0] ?? 1;
    // 1-D tensors (norms) stay F32, as llama.cpp's converter writes them; a row that is not whole Q8_0 blocks stays F16.
    const type2 = ne.length < 2 ? 'F32' : ne0 % TENSOR_TYPE[wanted].block !== 0 ? 'F16' : wanted;
    const isQ = name.endsWith('.attn_q.weight');
    const isK = name.endsWith('.attn_k.weight');
    const rows = t.shape[0] ?? 0;
    const heads = isQ ? hp.heads : isK ? hp.kvHeads : 0;
    if (heads > 0 && rows !== heads * hp.headDim) {
      throw new AppError('E_UNSUPPORTED', `Tensor ${t.name} has ${rows} rows, not ${heads} heads × ${hp.headDim}.`, { context: { tensor: t.name } });
    }
    mapped.push({ source: t.name, name, ne, type: type2, ...(heads > 0 ? { rowsPerHead: hp.headDim } : {}) });
  }
  return mapped;
}
