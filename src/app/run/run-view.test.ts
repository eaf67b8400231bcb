import { describe, expect, it } from 'vitest';

import type { PlanOverview } from '../../engine/api';
import { planSummary } from './run-view';

const PLAN: PlanOverview = {
  tensorCount: 39,
  shardCount: 2,
  outputBytes: 2_000_000,
  inputBytes: 4_000_000,
  peakMemoryBytes: 1_000_000,
  estimatedSeconds: 3,
  shards: [
    { file: 'model-00001-of-00002.safetensors', bytes: 1_000_000 },
    { file: 'model-00002-of-00002.safetensors', bytes: 1_000_000 },
  ],
  tensors: [],
  extraFiles: [],
  inputs: [],
  adapters: [],
  stageLoras: [],
  planId: 'x',
};

const labels = (items: { label: string; value: string }[]) => Object.fromEntries(items.map((i) => [i.label, i.value]));

describe('plan summary', () => {
  it('shows the shards of a safetensors output', () => {
    expect(labels(planSummary(PLAN))).toMatchObject({ Tensors: '39', Shards: '2' });
    expect(labels(planSummary(PLAN))['GGUF']).toBeUndefined();
  });

  it('shows the GGUF files beside the shards when both are written, and in their place for a GGUF-only output', () => {
    const gguf = { type: 'q8_0', files: [{ file: 'out-00001-of-00002.gguf', bytes: 600_000 }, { file: 'out-00002-of-00002.gguf', bytes: 500_000 }] } as const;
    expect(labels(planSummary({ ...PLAN, gguf }))).toMatchObject({ Shards: '2', GGUF: 'Q8_0, 2 files' });
    const only = labels(planSummary({ ...PLAN, shardCount: 0, shards: [], gguf: { type: 'f16', files: [{ file: 'out.gguf', bytes: 1_000_000 }] } }));
    expect(only['Shards']).toBeUndefined();
    expect(only['GGUF']).toBe('F16, 1 file');
  });
});
