/**
 * The byte layout of a GGUF export, fixed before any weight moves: per file the header (magic, version, metadata,
 * tensor infos, padding) and every tensor's offset, so the header is written first and tensor bytes stream after it.
 * Above a size limit the tensors are cut into parts named and tagged like llama.cpp's gguf-split writes them:
 * `<prefix>-00001-of-00003.gguf`, `split.no` / `split.count` / `split.tensors.count` in every part, all other
 * metadata only in the first.
 */
import { AppError } from '../../shared/errors';
import { ByteBuilder, i32, u16, writeKvs } from './metadata';
import type { GgufKv, GgufTensorType } from './types';
import { GGUF_ALIGNMENT, TENSOR_TYPE, tensorDataBytes } from './types';

export interface GgufTensorSpec {
  readonly name: string;
  /** GGUF dimensions, innermost first (a PyTorch `[out, in]` weight is `[in, out]`). */
  readonly ne: readonly number[];
  readonly type: GgufTensorType;
}

export interface GgufTensorSlot extends GgufTensorSpec {
  /** Offset inside the file's data section. */
  readonly offset: number;
  readonly bytes: number;
}

export interface GgufFileLayout {
  readonly file: string;
  readonly header: Uint8Array;
  readonly tensors: readonly GgufTensorSlot[];
  /** Bytes of the whole file (header, data, padding after each tensor). */
  readonly bytes: number;
}

const MAGIC = [0x47, 0x47, 0x55, 0x46];
const VERSION = 3;
/** llama.cpp's `GGML_MAX_NAME` is 64 including the terminating NUL. */
const MAX_NAME = 63;
const MAX_DIMS = 4;

const pad = (n: number): number => (GGUF_ALIGNMENT - (n % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;

export function tensorBytes(spec: GgufTensorSpec): number {
  const ne0 = spec.ne[0] ?? 1;
  const info = TENSOR_TYPE[spec.type];
  if (ne0 % info.block !== 0) {
    throw new AppError('E_UNSUPPORTED', `Tensor ${spec.name} has rows of ${ne0} values, not a multiple of ${info.block}, so it cannot be stored as ${spec.type}.`, {
      context: { tensor: spec.name },
      hint: 'Pick f16 or bf16 for this model.',
    });
  }
  return tensorDataBytes(spec.type, spec.ne.reduce((a, b) => a * b, 1));
}

/** Splits `tensors` (in write order) into groups whose padded data stays under `maxBytes` (each group non-empty). */
export function splitTensors(tensors: readonly GgufTensorSpec[], maxBytes: number | undefined): GgufTensorSpec[][] {
  const groups: GgufTensorSpec[][] = [[]];
  let size = 0;
  for (const t of tensors) {
    const b = tensorBytes(t);
    const current = groups[groups.length - 1] as GgufTensorSpec[];
    if (maxBytes !== undefined && current.length > 0 && size + b + pad(b) > maxBytes) {
      groups.push([t]);
      size = b + pad(b);
    } else {
      current.push(t);
      size += b + pad(b);
    }
  }
  return groups;
}

export function partName(prefix: string, index: number, count: number): string {
  return count === 1 ? `${prefix}.gguf` : `${prefix}-${String(index + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`;
}

/** Every file of the export: `metadata` goes in the first file; tensors in the given order. */
export function layoutGguf(prefix: string, metadata: readonly GgufKv[], tensors: readonly GgufTensorSpec[], maxFileBytes?: number): GgufFileLayout[] {
  for (const t of tensors) {
    if (new TextEncoder().encode(t.name).byteLength > MAX_NAME) throw new AppError('E_UNSUPPORTED', `GGUF tensor name ${t.name} is longer than ${MAX_NAME} bytes.`, { context: { tensor: t.name } });
    if (t.ne.length === 0 || t.ne.length > MAX_DIMS) throw new AppError('E_UNSUPPORTED', `Tensor ${t.name} has ${t.ne.length} dimensions; GGUF holds 1 to ${MAX_DIMS}.`, { context: { tensor: t.name } });
  }
  const groups = splitTensors(tensors, maxFileBytes);
  const count = groups.length;
  if (count > 0xffff) throw new AppError('E_UNSUPPORTED', `The GGUF export would need ${count} files; raise the split size.`);
  return groups.map((group, index) => {
    const kvs: GgufKv[] = index === 0 ? [...metadata] : [];
    if (count > 1) {
      // general.architecture stays first in the first part; the split keys follow.
      kvs.splice(index === 0 ? Math.min(1, kvs.length) : 0, 0, { key: 'split.no', value: u16(index) }, { key: 'split.count', value: u16(count) }, { key: 'split.tensors.count', value: i32(tensors.length) });
    }
    return layoutFile(partName(prefix, index, count), kvs, group);
  });
}

function layoutFile(file: string, kvs: readonly GgufKv[], tensors: readonly GgufTensorSpec[]): GgufFileLayout {
  const out = new ByteBuilder();
  out.raw(new Uint8Array(MAGIC));
  out.u32(VERSION);
  out.u64(tensors.length);
  out.u64(kvs.length);
  writeKvs(out, kvs);
  const slots: GgufTensorSlot[] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(t);
    out.string(t.name);
    out.u32(t.ne.length);
    for (const n of t.ne) out.u64(n);
    out.u32(TENSOR_TYPE[t.type].id);
    out.u64(offset);
    slots.push({ ...t, offset, bytes });
    offset += bytes + pad(bytes);
  }
  out.zeros(pad(out.size));
  const header = out.finish();
  return { file, header, tensors: slots, bytes: header.byteLength + offset };
}
