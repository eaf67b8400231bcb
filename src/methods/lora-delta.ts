/**
 * The `lora_delta` op: a PEFT LoRA baked into a weight, W + scale·B·A (mergekit-spec §7.1), as PEFT's merge_and_unload
 * leaves it. W is row-major [out, in] (with fan_in_fan_out it is stored [in, out] and the delta is (B·A)ᵀ); A is
 * [rank, in], B is [out, rank]. Here: the op's description (shared by the CPU bake and gpu/kernels/lora-delta.ts) and
 * the CPU reference on decoded values.
 *
 * In W's stored layout the delta is ΔW[row][column] = Σₖ L[row][k]·R[k][column] with L = B, R = A (or, transposed,
 * L = Aᵀ, R = Bᵀ); {@link loraOperands} gives both as strided views of the factors.
 */
import type { FloatDType } from '../io/safetensors/dtype';

/** A LoRA's factors in their stored encoding (little-endian), read whole. */
export interface LoraFactors {
  readonly a: { readonly dtype: FloatDType; readonly bytes: Uint8Array };
  readonly b: { readonly dtype: FloatDType; readonly bytes: Uint8Array };
  readonly rank: number;
  /** W's stored rows and columns ([out, in], or [in, out] with fan_in_fan_out). */
  readonly rows: number;
  readonly columns: number;
  /** lora_alpha / r (or / √r with rsLoRA). */
  readonly scale: number;
  readonly fanInFanOut: boolean;
  /** The baked weight is rounded to this dtype (W's). */
  readonly dtype: FloatDType;
}

/** A chunk of W to bake: the LoRA and the W element index of the chunk's first element. */
export interface LoraBake {
  readonly factors: LoraFactors;
  readonly start: number;
}

/** One operand of the delta as a strided view: element [row][k] (L) or [k][column] (R) is at `index(i, k)`. */
export interface LoraOperand {
  readonly factor: 'a' | 'b';
  /** Stride of the row (L) or column (R) index, and of k. */
  readonly stride: number;
  readonly strideK: number;
}

/** L and R of ΔW = L·R in W's stored layout, as views of A and B. */
export function loraOperands(f: LoraFactors): { left: LoraOperand; right: LoraOperand } {
  if (!f.fanInFanOut) return { left: { factor: 'b', stride: f.rank, strideK: 1 }, right: { factor: 'a', stride: 1, strideK: f.columns } };
  return { left: { factor: 'a', stride: 1, strideK: f.rows }, right: { factor: 'b', stride: f.rank, strideK: 1 } };
}

/**
 * The CPU reference: adds scale·ΔW to `values` (W's decoded elements from `start` on), each element's sum over the
 * rank in f64 in k order, the result stored as f32. The caller rounds to `factors.dtype`.
 */
export function addLoraDelta(values: Float32Array, start: number, factors: LoraFactors, a: Float32Array, b: Float32Array): void {
  const { left, right } = loraOperands(factors);
  const l = left.factor === 'a' ? a : b;
  const r = right.factor === 'a' ? a : b;
  const { rank, columns, scale } = factors;
  for (let i = 0; i < values.length; i++) {
    const e = start + i;
    const row = Math.floor(e / columns);
    const column = e - row * columns;
    let delta = 0;
    for (let k = 0; k < rank; k++) delta += (l[row * left.stride + k * left.strideK] as number) * (r[column * right.stride + k * right.strideK] as number);
    values[i] = (values[i] as number) + scale * delta;
  }
}
