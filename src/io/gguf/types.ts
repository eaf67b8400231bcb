/**
 * GGUF (version 3) vocabulary: metadata value types, the tensor types we write, and the block sizes that fix each
 * tensor's byte size. Numbers follow the GGUF specification (ggml `docs/gguf.md`) and llama.cpp's `ggml_type`.
 */

/** Metadata value type ids. */
export const GGUF_VALUE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export type ScalarValueType = Exclude<keyof typeof GGUF_VALUE, 'ARRAY'>;

/** One metadata value with its exact GGUF type (llama.cpp rejects a known key written with another type). */
export type GgufValue =
  | { readonly type: Exclude<ScalarValueType, 'STRING' | 'BOOL' | 'UINT64' | 'INT64'>; readonly value: number }
  | { readonly type: 'UINT64' | 'INT64'; readonly value: bigint }
  | { readonly type: 'BOOL'; readonly value: boolean }
  | { readonly type: 'STRING'; readonly value: string }
  | { readonly type: 'ARRAY'; readonly of: 'STRING'; readonly value: readonly string[] }
  | { readonly type: 'ARRAY'; readonly of: 'FLOAT32' | 'INT32' | 'UINT32'; readonly value: ArrayLike<number> };

export interface GgufKv {
  readonly key: string;
  readonly value: GgufValue;
}

/** The tensor types this writer produces. */
export const GGUF_TENSOR_TYPES = ['F32', 'F16', 'BF16', 'Q8_0'] as const;
export type GgufTensorType = (typeof GGUF_TENSOR_TYPES)[number];

/** The user's choice for the 2-D weights (1-D tensors and norms are always F32, as llama.cpp's converter does). */
export const GGUF_OUTPUT_TYPES = ['f32', 'f16', 'bf16', 'q8_0'] as const;
export type GgufOutputType = (typeof GGUF_OUTPUT_TYPES)[number];

export interface TensorTypeInfo {
  readonly id: number;
  /** Elements per block along the innermost dimension. */
  readonly block: number;
  readonly bytesPerBlock: number;
}

export const TENSOR_TYPE: Readonly<Record<GgufTensorType, TensorTypeInfo>> = {
  F32: { id: 0, block: 1, bytesPerBlock: 4 },
  F16: { id: 1, block: 1, bytesPerBlock: 2 },
  Q8_0: { id: 8, block: 32, bytesPerBlock: 34 },
  BF16: { id: 30, block: 1, bytesPerBlock: 2 },
};

/** `general.file_type` ("mostly X") per output type. */
export const FILE_TYPE: Readonly<Record<GgufOutputType, number>> = { f32: 0, f16: 1, q8_0: 7, bf16: 32 };

export const OUTPUT_TENSOR_TYPE: Readonly<Record<GgufOutputType, GgufTensorType>> = { f32: 'F32', f16: 'F16', bf16: 'BF16', q8_0: 'Q8_0' };

export const GGUF_ALIGNMENT = 32;

/** Bytes of a tensor of `type` whose innermost dimension is `ne0` and which holds `count` elements. */
export function tensorDataBytes(type: GgufTensorType, count: number): number {
  const info = TENSOR_TYPE[type];
  return (count / info.block) * info.bytesPerBlock;
}

export function isGgufOutputType(value: string): value is GgufOutputType {
  return (GGUF_OUTPUT_TYPES as readonly string[]).includes(value);
}
