/**
 * A float64 reference forward pass of a Hugging Face Llama-family model (RMSNorm, rotate-half rope on the HF q/k
 * layout, grouped-query causal attention, SwiGLU MLP), written straight from the transformers formulas. Tests compare
 * llama.cpp's logits for an exported GGUF against it, so the q/k permutation and the tensor mapping are checked
 * against an independent implementation rather than against themselves.
 */

export interface LlamaConfig {
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly ropeTheta: number;
  readonly rmsEps: number;
  readonly tied: boolean;
  /** transformers' `rope_scaling` of type llama3 (Llama 3.1), if any. */
  readonly llama3Scaling?: { readonly factor: number; readonly lowFreqFactor: number; readonly highFreqFactor: number; readonly originalContext: number };
}

/** Weights by HF name, row-major, as float64. */
export type Weights = ReadonlyMap<string, Float64Array>;

function get(w: Weights, name: string): Float64Array {
  const t = w.get(name);
  if (t === undefined) throw new Error(`missing ${name}`);
  return t;
}

/** y = W x for W [rows, cols]. */
function matvec(w: Float64Array, x: Float64Array, rows: number): Float64Array {
  const cols = x.length;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += (w[r * cols + c] as number) * (x[c] as number);
    y[r] = s;
  }
  return y;
}

function rmsNorm(x: Float64Array, g: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * (g[i] as number));
}

/** transformers' inverse frequencies, with Llama 3.1's rescaling of the long wavelengths when configured. */
function inverseFrequencies(cfg: LlamaConfig, d: number): Float64Array {
  const inv = Float64Array.from({ length: d / 2 }, (_, i) => 1 / Math.pow(cfg.ropeTheta, (2 * i) / d));
  const s = cfg.llama3Scaling;
  if (s === undefined) return inv;
  const lowWavelen = s.originalContext / s.lowFreqFactor;
  const highWavelen = s.originalContext / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (s.originalContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/** HF rope: within each head, element i pairs with i + d/2. */
function rope(v: Float64Array, heads: number, d: number, pos: number, inv: Float64Array): void {
  const half = d / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * (inv[i] as number);
      const a = v[h * d + i] as number;
      const b = v[h * d + i + half] as number;
      v[h * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
      v[h * d + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
    }
  }
}

/** Logits for every position of `tokens` (row t = the prediction after tokens[0..t]). */
export function llamaLogits(cfg: LlamaConfig, w: Weights, tokens: readonly number[]): Float64Array[] {
  const d = cfg.hidden / cfg.heads;
  const group = cfg.heads / cfg.kvHeads;
  const kvDim = cfg.kvHeads * d;
  const inv = inverseFrequencies(cfg, d);
  const embed = get(w, 'model.embed_tokens.weight');
  const xs = tokens.map((t) => embed.slice(t * cfg.hidden, (t + 1) * cfg.hidden));
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}`;
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    const queries: Float64Array[] = [];
    xs.forEach((x, pos) => {
      const h = rmsNorm(x, get(w, `${p}.input_layernorm.weight`), cfg.rmsEps);
      const q = matvec(get(w, `${p}.self_attn.q_proj.weight`), h, cfg.hidden);
      const k = matvec(get(w, `${p}.self_attn.k_proj.weight`), h, kvDim);
      rope(q, cfg.heads, d, pos, inv);
      rope(k, cfg.kvHeads, d, pos, inv);
      queries.push(q);
      keys.push(k);
      values.push(matvec(get(w, `${p}.self_attn.v_proj.weight`), h, kvDim));
    });
    xs.forEach((x, pos) => {
      const attn = new Float64Array(cfg.hidden);
      for (let head = 0; head < cfg.heads; head++) {
        const kvHead = Math.floor(head / group);
        const scores = [];
        for (let j = 0; j <= pos; j++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += (queries[pos] as Float64Array)[head * d + i]! * (keys[j] as Float64Array)[kvHead * d + i]!;
          scores.push(s / Math.sqrt(d));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= pos; j++) {
          for (let i = 0; i < d; i++) attn[head * d + i]! += ((exps[j] as number) / sum) * (values[j] as Float64Array)[kvHead * d + i]!;
        }
      }
      const o = matvec(get(w, `${p}.self_attn.o_proj.weight`), attn, cfg.hidden);
      for (let i = 0; i < cfg.hidden; i++) x[i]! += o[i] as number;
      const h = rmsNorm(x, get(w, `${p}.post_attention_layernorm.weight`), cfg.rmsEps);
      const gate = matvec(get(w, `${p}.mlp.gate_proj.weight`), h, cfg.intermediate);
      const up = matvec(get(w, `${p}.mlp.up_proj.weight`), h, cfg.intermediate);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
      const down = matvec(get(w, `${p}.mlp.down_proj.weight`), act, cfg.hidden);
      for (let i = 0; i < cfg.hidden; i++) x[i]! += down[i] as number;
    });
  }
  const head = cfg.tied ? embed : get(w, 'lm_head.weight');
  return xs.map((x) => matvec(head, rmsNorm(x, get(w, 'model.norm.weight'), cfg.rmsEps), cfg.vocab));
}

/** log-softmax of one row of logits. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  const lse = max + Math.log(sum);
  return Float64Array.from({ length: logits.length }, (_, i) => (logits[i] as number) - lse);
}
