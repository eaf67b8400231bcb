import { describe, expect, it } from 'vitest';

import { TINY_LLAMA } from '../../test/fixtures/standard';
import { writeModel } from '../../test/fixtures/models';
import type { ModelSpec } from '../../test/fixtures/models';
import { decodeToF32 } from '../io/safetensors/codec';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import { MemoryDirectorySink } from '../io/sink/memory-sink';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import type { Model } from '../io/model/types';
import { METRIC_NAMES } from '../methods/lens-stats';
import type { EngineEvent } from './api';
import { planLens, runLens, sampleIndexes, segmentLengthOf } from './lens';
import { LENS_T, lensPair, lensReference } from './lens.test-support';
import { lensCsv, lensGrid, lensJson, lensPlace } from '../methods/lens-grid';

/**
 * Wide enough that the MLP and embedding tensors have hundreds of rows, and down_proj's rows (4608 long) are sampled in
 * two 2304-element segments each: fast mode samples them all.
 */
const BASE: ModelSpec = { ...TINY_LLAMA, layers: 2, hidden: 128, intermediate: 4608, heads: 4, kvHeads: 2, vocab: 512, dtype: 'F32', seed: 11 };
const OTHER: ModelSpec = { ...BASE, dtype: 'BF16', derivedFrom: { seed: 12, scale: 0.3 } };

async function model(spec: ModelSpec, ref: string): Promise<{ model: Model; files: ReadonlyMap<string, Uint8Array> }> {
  const dir = new MemoryDirectorySink();
  await writeModel(dir, spec);
  return { model: await loadModel(memoryFolder(ref, dir.files)), files: dir.files };
}

/** A tensor's every element, decoded from the whole file's bytes. */
function values(m: { model: Model; files: ReadonlyMap<string, Uint8Array> }, name: string): Float32Array {
  const t = m.model.tensors.get(name);
  if (t === undefined || !isFloatDType(t.dtype)) throw new Error(`no ${name}`);
  const out = new Float32Array(numel(t.shape));
  decodeToF32(t.dtype, (m.files.get(t.file) as Uint8Array).subarray(t.offset, t.offset + t.length), out);
  return out;
}

const T = 0.004;

describe('weight lens', async () => {
  const a = await model(BASE, 'base');
  const b = await model(OTHER, 'other');

  it('exact mode equals a float64 reference within 1e-9 relative, for every metric and tensor', async () => {
    const plan = planLens(a.model, b.model, { mode: 'exact' });
    expect(plan.tensors).toHaveLength(a.model.tensors.size);
    expect(plan.bytesToRead).toBe([...a.model.tensors.values()].reduce((s, t) => s + t.length, 0) + [...b.model.tensors.values()].reduce((s, t) => s + t.length, 0));
    const events: EngineEvent[] = [];
    const report = await runLens(plan, a.model, b.model, { nearswapT: T, onEvent: (e) => events.push(e) });
    expect(events[0]).toMatchObject({ type: 'start', tensorCount: plan.tensors.length, bytesTotal: plan.bytesToRead });
    expect(events.at(-2)).toMatchObject({ type: 'progress', tensorsDone: plan.tensors.length, bytesDone: plan.bytesToRead });
    expect(events.at(-1)?.type).toBe('done');
    expect(report.tensors).toHaveLength(plan.tensors.length);
    for (const tensor of report.tensors) {
      const expected = lensReference(values(a, tensor.name), values(b, tensor.name), T);
      expect(tensor.sampled_elements).toBeNull();
      for (const name of METRIC_NAMES) {
        const want = expected[name] as number;
        expect(Math.abs((tensor[name] as number) - want), `${tensor.name} ${name}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(want), 1e-3));
        expect(tensor.standard_error[name]).toBe(0);
      }
    }
  });

  it('exact mode on the CPU: bf16, f16, f32 and mixed inputs, a near-identical and an identical pair, within 1e-9 of float64', async () => {
    const pair = await lensPair();
    const report = await runLens(planLens(pair.a, pair.b, { mode: 'exact' }), pair.a, pair.b, { nearswapT: LENS_T });
    expect(report.backend).toBe('CPU');
    expect(report.tensors).toHaveLength(pair.values.size);
    for (const tensor of report.tensors) {
      const [x, y] = pair.values.get(tensor.name) as [Float32Array, Float32Array];
      const expected = lensReference(x, y, LENS_T);
      for (const name of METRIC_NAMES) {
        const want = expected[name] as number;
        expect(Math.abs((tensor[name] as number) - want), `${tensor.name} ${name}`).toBeLessThanOrEqual(1e-9 * Math.abs(want));
      }
    }
    // b = a + noise a million times smaller: its angle (about 6e-5°) keeps its digits.
    expect(report.tensors.find((t) => t.name === 'near.weight')?.angle_degrees).toBeGreaterThan(1e-6);
    expect(report.tensors.find((t) => t.name === 'same.weight')?.relative_difference).toBe(0);
  });

  it('the estimate shares exact mode\'s reduction among the threads reducing, and not fast mode\'s', () => {
    const exact = (threads: number) => planLens(a.model, b.model, { mode: 'exact', reduceThreads: threads }).estimatedSeconds;
    // estimate = reads + reduction / threads: halving the share twice takes off half as much the second time.
    expect(exact(1) - exact(2)).toBeGreaterThan(0);
    expect(exact(1) - exact(2)).toBeCloseTo(2 * (exact(2) - exact(4)), 12);
    const fast = (threads: number) => planLens(a.model, b.model, { mode: 'fast', reduceThreads: threads }).estimatedSeconds;
    expect(fast(4)).toBe(fast(1));
  });

  it('fast mode samples row segments of the large tensors and lands within four stated standard errors of the exact value', async () => {
    const plan = planLens(a.model, b.model, { mode: 'fast', samples: 16, wholeBytes: 0 });
    const exactBytes = planLens(a.model, b.model, { mode: 'exact' }).bytesToRead;
    expect(plan.bytesToRead).toBeLessThan(exactBytes / 3);
    const sampled = plan.tensors.filter((t) => t.segments !== undefined);
    expect(plan.tensors.find((t) => t.name.endsWith('layers.0.mlp.down_proj.weight'))?.segmentLength).toBe(2304);
    // Every 2-D tensor with more than 32 rows: embeddings, head, and each layer's q, k, v, o, gate, up, down.
    expect(sampled.map((t) => t.name).sort()).toEqual(plan.tensors.filter((t) => t.shape.length === 2 && (t.shape[0] as number) > 32).map((t) => t.name).sort());
    expect(sampled.length).toBe(2 + 7 * BASE.layers);
    const fast = await runLens(plan, a.model, b.model, { nearswapT: T });
    expect(fast.tensors).toHaveLength(plan.tensors.length);
    let z2 = 0;
    let count = 0;
    for (const tensor of fast.tensors) {
      const expected = lensReference(values(a, tensor.name), values(b, tensor.name), T);
      for (const name of METRIC_NAMES) {
        const error = tensor.standard_error[name] as number;
        const miss = Math.abs((tensor[name] as number) - (expected[name] as number));
        if (tensor.sampled_elements === null) {
          expect(error).toBe(0);
          continue;
        }
        expect(error, `${tensor.name} ${name}`).toBeGreaterThan(0);
        expect(miss, `${tensor.name} ${name}: ${tensor[name]} vs ${expected[name]} ± ${error}`).toBeLessThanOrEqual(4 * error);
        z2 += (miss / error) ** 2;
        count++;
      }
    }
    // The misses are the size the errors say (mean squared z near 1), not far smaller: the stated error is not padded.
    expect(z2 / count).toBeGreaterThan(0.2);
    expect(z2 / count).toBeLessThan(3);
  });

  it('samples distinct segments, the same ones every time, each a row or an equal part of a long row', () => {
    const picked = sampleIndexes(1000, 16, 1234);
    expect(new Set(picked).size).toBe(16);
    expect(picked.every((r) => r >= 0 && r < 1000)).toBe(true);
    expect(sampleIndexes(1000, 16, 1234)).toEqual(picked);
    expect(sampleIndexes(20, 20, 5)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(segmentLengthOf([28672, 8192])).toBe(4096);
    expect(segmentLengthOf([8192, 28672])).toBe(4096);
    expect(segmentLengthOf([32000, 8192])).toBe(4096);
    expect(segmentLengthOf([100, 300])).toBe(300);
    expect(segmentLengthOf([8192])).toBe(4096);
    // A prime row length cannot be cut into equal parts of 256 or more: the whole row is the unit.
    expect(segmentLengthOf([10, 4099])).toBe(4099);
  });

  it('arranges tensors in layers × modules and writes JSON and CSV with nulls where a norm is 0', async () => {
    expect(lensPlace('model.layers.3.self_attn.k_proj.weight')).toEqual({ row: { kind: 'layer', layer: 3 }, column: 'k' });
    expect(lensPlace('model.layers.0.post_attention_layernorm.weight').column).toBe('norms');
    expect(lensPlace('model.embed_tokens.weight').row).toEqual({ kind: 'embed' });
    expect(lensPlace('lm_head.weight').row).toEqual({ kind: 'head' });
    const report = await runLens(planLens(a.model, a.model, { mode: 'exact' }), a.model, a.model);
    const grid = lensGrid(report);
    expect(grid.map((r) => r.label)).toEqual(['embeddings', 'layer 0', 'layer 1', 'head']);
    expect(grid[1]?.cells.down?.metrics.relative_difference).toBe(0);
    const zero = { ...report, tensors: report.tensors.map((t) => ({ ...t, norm_a: 0, cosine: null, relative_difference: null })) };
    const json = JSON.parse(lensJson(zero)) as { a: string; mode: string; tensors: Record<string, unknown>[] };
    expect(json).toMatchObject({ a: 'base', b: 'base', mode: 'exact' });
    expect(json.tensors[0]).toMatchObject({ cosine: null, relative_difference: null });
    expect(json.tensors[0]).not.toHaveProperty('sums');
    const csv = lensCsv(report).trim().split('\n');
    expect(csv).toHaveLength(report.tensors.length + 1);
    expect(csv[0]?.startsWith('name,shape,sampled_elements,norm_a,norm_b,cosine,relative_difference')).toBe(true);
  });

  it('leaves out tensors missing in one model or of another shape, and says why', async () => {
    const narrow = await model({ ...BASE, hidden: 64, intermediate: 128 }, 'narrow');
    const plan = planLens(a.model, narrow.model, { mode: 'fast' });
    expect(plan.tensors).toHaveLength(0);
    expect(plan.skipped[0]?.reason).toMatch(/shapes differ/);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runLens(planLens(a.model, b.model, { mode: 'exact' }), a.model, b.model, { signal: controller.signal })).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });
});
