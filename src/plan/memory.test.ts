import { describe, expect, it } from 'vitest';

import { DEFAULT_IN_FLIGHT_BYTES, RUNTIME_BYTES, inFlightFootprint, planPeakBytes } from './memory';
import type { MergeExpr, PlannedTensor, ReadExpr } from './types';

function read(input: string, rows: number, columns: number): ReadExpr {
  return { kind: 'read', input, tensor: 'w', file: 'model.safetensors', offset: 0, length: rows * columns * 2, dtype: 'BF16', shape: [rows, columns] };
}

function slerp(inputs: MergeExpr['inputs'], dtype: 'BF16' | 'F32' = 'BF16'): MergeExpr {
  return { kind: 'merge', method: 'slerp', stage: undefined, inputs, baseIndex: 0, globals: { t: 0.5 }, perModel: inputs.map(() => ({})), dtype, seed: 0 };
}

function tensor(rows: number, columns: number, expr: MergeExpr, dtype: 'BF16' | 'F32' = 'BF16'): PlannedTensor {
  return { name: 'w', dtype, shape: [rows, columns], shard: 0, expr };
}

const MB = 1024 * 1024;

describe('plan memory', () => {
  it('a tensor read whole holds its inputs; its output is written over an input of the same dtype and size', () => {
    const bf16 = tensor(1024, 1024, slerp([read('a', 1024, 1024), read('b', 1024, 1024)]));
    expect(inFlightFootprint(bf16)).toBe(4 * MB);
    // An f32 output is twice an input's size: it needs a buffer of its own.
    const f32 = tensor(1024, 1024, slerp([read('a', 1024, 1024), read('b', 1024, 1024)], 'F32'), 'F32');
    expect(inFlightFootprint(f32)).toBe(4 * MB + 4 * MB);
  });

  it('the same model read by two stages is held once; each nested stage holds its f32 result', () => {
    const a = read('a', 1024, 1024);
    const lzlv = tensor(1024, 1024, slerp([slerp([a, read('b', 1024, 1024)]), slerp([read('c', 1024, 1024), a])]));
    expect(inFlightFootprint(lzlv)).toBe(3 * 2 * MB + 2 * MB + 2 * 4 * MB);
  });

  it('the peak is the runtime and the largest run of tensors that fits the in-flight budget, long reads counted as slabs', () => {
    const small = tensor(1024, 1024, slerp([read('a', 1024, 1024), read('b', 1024, 1024)])); // 4 MiB
    const big = tensor(1024, 40 * 1024, slerp([read('a', 1024, 40 * 1024), read('b', 1024, 40 * 1024)])); // 2 × 80 MiB
    const mid = tensor(1024, 12 * 1024, slerp([read('a', 1024, 12 * 1024), read('b', 1024, 12 * 1024)])); // 2 × 24 MiB
    // The slab is the longest read (80 MiB): mid's two reads share one.
    expect(inFlightFootprint(mid, undefined, 80 * MB)).toBe(80 * MB);
    expect(inFlightFootprint(big, undefined, 80 * MB)).toBe(160 * MB);
    const plan = [big, small, mid, big, small];
    // From the first small one: small, mid, big, small (248 MiB) fit 400 MiB; with the next big one nothing does.
    expect(DEFAULT_IN_FLIGHT_BYTES).toBe(400 * MB);
    expect(planPeakBytes(plan)).toBe(RUNTIME_BYTES + (4 + 80 + 160 + 4) * MB);
    // A budget below one tensor still admits that tensor.
    expect(planPeakBytes(plan, 1)).toBe(RUNTIME_BYTES + 160 * MB);
  });
});
