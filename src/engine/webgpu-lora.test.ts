/**
 * LoRA baking fused into the WebGPU backend's decode (lora_delta.wgsl) against the CPU bake: odd shapes (rank, rows and
 * columns not multiples of the 16-wide tile), fan_in_fan_out, bf16/f16/f32 and mixed factor dtypes, chunks and
 * forced small bindings that cut W mid-row.
 */
import { describe, expect, it } from 'vitest';

import { createNodeGpu } from '../gpu/node-gpu';
import { nodeShaderLibrary } from '../gpu/node-shaders';
import { loraFitsBinding } from '../gpu/kernels/lora-delta';
import { roundInPlace } from '../io/safetensors/codec';
import type { LoraFactors } from '../methods/lora-delta';
import type { EncodedChunk } from './backend';
import { createCpuBackend } from './cpu-backend';
import type { LoraDtypes, LoraShape, MergeCase } from './webgpu-backend.test-support';
import { caseJob, encodeCase, gaussian, loraInput, runBackendMerger, sameBits, scaledError, ulpDistance } from './webgpu-backend.test-support';
import { useTestBackends } from './webgpu-node.test-support';
import { createWebGpuBackend } from './webgpu-backend';

/**
 * The tolerance (the same as the method tests'): the GPU sums the rank in f32, the CPU in f64, both in k order. Baked
 * into a 16-bit W the results are equal or 1 ulp apart (a rounding boundary); into an f32 W, |gpu − cpu| is at most 4
 * half-ulps of f32 at the tensor's largest magnitude.
 */
const F32_BOUND = 4;

const SHAPES: LoraShape[] = [
  { name: '[37, 45], rank 5', out: 37, in: 45, rank: 5, fanInFanOut: false },
  { name: '[19, 40], rank 21', out: 19, in: 40, rank: 21, fanInFanOut: false },
  { name: 'fan_in_fan_out [in 33, out 29], rank 17', out: 29, in: 33, rank: 17, fanInFanOut: true },
];

const DTYPES: LoraDtypes[] = [
  { w: 'BF16', a: 'BF16', b: 'BF16' },
  { w: 'F16', a: 'F16', b: 'F16' },
  { w: 'F32', a: 'F32', b: 'F32' },
  { w: 'BF16', a: 'F16', b: 'F32' },
];

/** A LoRA case with PEFT's bake written out as the expected values: ΔW[o][i] = Σₖ B[o][k]·A[k][i] in f64. */
function lora(shape: LoraShape, dtypes: LoraDtypes, seed: number): { weight: EncodedChunk; factors: LoraFactors; expected: Float32Array } {
  const { weight, factors, decoded } = loraInput(shape, dtypes, seed);
  const expected = Float32Array.from(decoded.w);
  for (let o = 0; o < shape.out; o++) {
    for (let i = 0; i < shape.in; i++) {
      let delta = 0;
      for (let k = 0; k < shape.rank; k++) delta += (decoded.b[o * shape.rank + k] as number) * (decoded.a[k * shape.in + i] as number);
      const at = shape.fanInFanOut ? i * factors.columns + o : o * factors.columns + i;
      expected[at] = (expected[at] as number) + factors.scale * delta;
    }
  }
  roundInPlace(dtypes.w, expected);
  return { weight, factors, expected };
}

const passthrough: MergeCase = { name: 'passthrough', method: 'passthrough', models: 1 };

const backends = useTestBackends();

describe.each(SHAPES)('LoRA baked on the GPU: $name', (shape) => {
  it.each(DTYPES)('W $w, A $a, B $b: GPU == GPU at every chunking, within the tolerance of the CPU bake', async (dtypes) => {
    const { weight, factors, expected } = lora(shape, dtypes, 11);
    const numel = shape.out * shape.in;
    expect(loraFitsBinding(factors, 4096)).toBe(true);
    const job = caseJob(passthrough, numel, [factors.rows, factors.columns]);
    const cpu = await runBackendMerger(await createCpuBackend().createMerger('passthrough', job, 1), [weight], numel, 500, dtypes.w);
    expect(sameBits(cpu, expected)).toBe(true);
    const results: Float32Array[] = [];
    for (const chunk of [numel, 500, 333]) results.push(await runBackendMerger(await backends.normal.createMerger('passthrough', job, 1), [weight], numel, chunk, dtypes.w));
    // 4 KiB bindings: 256-element sub-chunks, cut mid-row, and their factors' rows.
    results.push(await runBackendMerger(await backends.small.createMerger('passthrough', job, 1), [weight], numel, 700, dtypes.w));
    for (const other of results.slice(1)) expect(sameBits(other, results[0] as Float32Array)).toBe(true);
    const gpu = results[0] as Float32Array;
    const distance = ulpDistance(dtypes.w, gpu, cpu);
    const scaled = scaledError(gpu, cpu);
    console.log(`lora ${shape.name} ${dtypes.w}/${dtypes.a}/${dtypes.b}: max ${distance.max} ulp, ${distance.differing}/${numel} differ, scaled ${scaled.toFixed(2)}`);
    if (dtypes.w === 'F32') expect(scaled).toBeLessThanOrEqual(F32_BOUND);
    else expect(distance.max).toBeLessThanOrEqual(1);
  });
});

describe('LoRA bakes inside merges', () => {
  it('linear of a baked input and a plain one: every sub-chunk path, within the tolerance of the CPU backends.normal', async () => {
    const shape = SHAPES[1] as LoraShape;
    const numel = shape.out * shape.in;
    const { weight } = lora(shape, { w: 'BF16', a: 'BF16', b: 'BF16' }, 21);
    const other = encodeCase('BF16', gaussian(99, numel, 0.05));
    const inputs: EncodedChunk[] = [weight, { dtype: other.dtype, bytes: other.bytes }];
    const c: MergeCase = { name: 'linear', method: 'linear', models: 2, perModel: (i) => ({ weight: [0.7, 0.3][i] as number }) };
    const job = caseJob(c, numel, [shape.out, shape.in]);
    const cpu = await runBackendMerger(await createCpuBackend().createMerger('linear', job, 2), inputs, numel, 300, 'BF16');
    const gpu = await runBackendMerger(await backends.normal.createMerger('linear', job, 2), inputs, numel, numel, 'BF16');
    const small = await runBackendMerger(await backends.small.createMerger('linear', job, 2), inputs, numel, 300, 'BF16');
    expect(sameBits(small, gpu)).toBe(true);
    expect(ulpDistance('BF16', gpu, cpu).max).toBeLessThanOrEqual(1);
  });

  it('a factor larger than one binding is baked on the CPU and gives the CPU bake exactly', async () => {
    const shape = SHAPES[1] as LoraShape;
    const numel = shape.out * shape.in;
    const { weight, factors, expected } = lora(shape, { w: 'F32', a: 'F32', b: 'F32' }, 31);
    const tiny = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { maxBindingBytes: 2048 });
    expect(loraFitsBinding(factors, 2048)).toBe(false);
    const job = caseJob(passthrough, numel, [factors.rows, factors.columns]);
    const got = await runBackendMerger(await tiny.createMerger('passthrough', job, 1), [weight], numel, numel, 'F32');
    expect(sameBits(got, expected)).toBe(true);
    await tiny.dispose();
  });
});

describe('the CPU backends.normal bakes too', () => {
  it.each(['slerp', 'nearswap', 'linear'])('%s of bf16 inputs, one with a LoRA: the result of merging the baked weight (its bf16 fast path is not taken)', async (method) => {
    const shape = SHAPES[0] as LoraShape;
    const numel = shape.out * shape.in;
    const { weight, expected } = lora(shape, { w: 'BF16', a: 'BF16', b: 'BF16' }, 41);
    const baked = encodeCase('BF16', expected);
    const base = encodeCase('BF16', gaussian(43, numel, 0.05));
    const c: MergeCase = { name: method, method, models: 2, baseIndex: 0, globals: { t: 0.3 }, perModel: (i) => ({ weight: [0.6, 0.4][i] as number }) };
    const job = caseJob(c, numel, [shape.out, shape.in]);
    const plain = { dtype: base.dtype, bytes: base.bytes };
    const got = await runBackendMerger(await createCpuBackend().createMerger(method, job, 2), [plain, weight], numel, 500, 'BF16');
    const want = await runBackendMerger(await createCpuBackend().createMerger(method, job, 2), [plain, { dtype: baked.dtype, bytes: baked.bytes }], numel, 500, 'BF16');
    expect(sameBits(got, want)).toBe(true);
  });
});
