/**
 * Little-endian encoding of GGUF's header pieces: strings, typed metadata values, tensor infos. A growing byte buffer
 * keeps it allocation-light for large tokenizer arrays.
 */
import { AppError } from '../../shared/errors';
import type { GgufKv, GgufValue } from './types';
import { GGUF_VALUE } from './types';

const utf8 = new TextEncoder();

export class ByteBuilder {
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  get size(): number {
    return this.length;
  }

  private reserve(n: number): number {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  /** Reserves `n` bytes and returns the (possibly grown) view; they are the last `n` bytes. */
  private at(n: number): DataView {
    this.reserve(n);
    return this.view;
  }

  u8(v: number): void {
    this.at(1).setUint8(this.length - 1, v);
  }
  i8(v: number): void {
    this.at(1).setInt8(this.length - 1, v);
  }
  u16(v: number): void {
    this.at(2).setUint16(this.length - 2, v, true);
  }
  i16(v: number): void {
    this.at(2).setInt16(this.length - 2, v, true);
  }
  u32(v: number): void {
    this.at(4).setUint32(this.length - 4, v, true);
  }
  i32(v: number): void {
    this.at(4).setInt32(this.length - 4, v, true);
  }
  f32(v: number): void {
    this.at(4).setFloat32(this.length - 4, v, true);
  }
  f64(v: number): void {
    this.at(8).setFloat64(this.length - 8, v, true);
  }
  u64(v: number | bigint): void {
    this.at(8).setBigUint64(this.length - 8, BigInt(v), true);
  }
  i64(v: bigint): void {
    this.at(8).setBigInt64(this.length - 8, v, true);
  }
  raw(b: Uint8Array): void {
    const at = this.reserve(b.byteLength);
    this.bytes.set(b, at);
  }
  zeros(n: number): void {
    this.reserve(n);
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.u64(b.byteLength);
    this.raw(b);
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

export function writeValue(out: ByteBuilder, key: string, v: GgufValue): void {
  out.u32(GGUF_VALUE[v.type]);
  switch (v.type) {
    case 'UINT8':
      return out.u8(v.value);
    case 'INT8':
      return out.i8(v.value);
    case 'UINT16':
      return out.u16(v.value);
    case 'INT16':
      return out.i16(v.value);
    case 'UINT32':
      return out.u32(v.value);
    case 'INT32':
      return out.i32(v.value);
    case 'FLOAT32':
      return out.f32(v.value);
    case 'FLOAT64':
      return out.f64(v.value);
    case 'UINT64':
      return out.u64(v.value);
    case 'INT64':
      return out.i64(v.value);
    case 'BOOL':
      return out.u8(v.value ? 1 : 0);
    case 'STRING':
      return out.string(v.value);
    case 'ARRAY':
      if (v.value.length === 0) throw new AppError('E_INTERNAL', `GGUF metadata ${key} is an empty array; llama.cpp's tools refuse those.`);
      out.u32(GGUF_VALUE[v.of]);
      out.u64(v.value.length);
      if (v.of === 'STRING') {
        for (const s of v.value as readonly string[]) out.string(s);
      } else {
        const put = v.of === 'FLOAT32' ? out.f32.bind(out) : v.of === 'INT32' ? out.i32.bind(out) : out.u32.bind(out);
        for (let i = 0; i < v.value.length; i++) put(v.value[i] as number);
      }
  }
}

export function writeKvs(out: ByteBuilder, kvs: readonly GgufKv[]): void {
  const seen = new Set<string>();
  for (const { key, value } of kvs) {
    if (seen.has(key)) throw new AppError('E_INTERNAL', `GGUF metadata key ${key} appears twice.`);
    seen.add(key);
    out.string(key);
    writeValue(out, key, value);
  }
}

// Short constructors keep the metadata tables readable.
export const u32 = (value: number): GgufValue => ({ type: 'UINT32', value });
export const i32 = (value: number): GgufValue => ({ type: 'INT32', value });
export const u16 = (value: number): GgufValue => ({ type: 'UINT16', value });
export const f32 = (value: number): GgufValue => ({ type: 'FLOAT32', value });
export const str = (value: string): GgufValue => ({ type: 'STRING', value });
export const bool = (value: boolean): GgufValue => ({ type: 'BOOL', value });
export const strings = (value: readonly string[]): GgufValue => ({ type: 'ARRAY', of: 'STRING', value });
