/**
 * safetensors dtype names (huggingface/safetensors `enum Dtype`) and their sizes. Sub-byte types (F4, F6_*)
 * are recognised so headers parse, but the engine refuses to merge them.
 */
export const DTYPE_BITS = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  C64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
} as const;

export type DType = keyof typeof DTYPE_BITS;

/** The float dtypes the merge engine computes in (decoded to f32, encoded back with round-to-nearest-even). */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type FloatDType = (typeof FLOAT_DTYPES)[number];

export function isDType(name: string): name is DType {
  return Object.hasOwn(DTYPE_BITS, name);
}

export function isFloatDType(dtype: DType): dtype is FloatDType {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

/** Integer and boolean tensors are never interpolated: mergekit copies them from the base model. */
export function isIntegerDType(dtype: DType): boolean {
  return dtype === 'BOOL' || dtype.startsWith('I') || dtype.startsWith('U');
}

export function dtypeBits(dtype: DType): number {
  return DTYPE_BITS[dtype];
}

/** Byte size of a tensor; undefined when `numel × bits` is not a whole number of bytes. */
export function tensorByteSize(dtype: DType, numel: number): number | undefined {
  const bits = numel * DTYPE_BITS[dtype];
  return bits % 8 === 0 ? bits / 8 : undefined;
}

/** Element alignment used to order tensors like the reference writer (largest alignment first). */
export function dtypeAlignment(dtype: DType): number {
  return Math.max(1, Math.floor(DTYPE_BITS[dtype] / 8));
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
