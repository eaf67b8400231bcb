/**
 * Golden tests through the command: each recipe is written to a file and merged by `npm run merge` (the real CLI, in
 * its own process) from generated fixture folders; the output folder is checked against the float64 references of
 * mergekit-spec Appendix B, rounded once to bf16 (within 1 ulp), and for exact names, shapes, dtypes and files — once on
 * the CPU backend and once on the WebGPU backend.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeFixtureTree } from '../../test/fixtures/node-fixtures';
import { fixtureFiles } from '../../test/fixtures/recipe-inputs';
import { GRADIENT_SLERP, LZLV, THORNS } from '../../test/fixtures/recipes';
import { loadModel } from '../io/model/load-model';
import { memoryFolder } from '../io/model/memory-folder';
import { decodeToF32, f32ToBf16 } from '../io/safetensors/codec';
import type { FloatDType } from '../io/safetensors/dtype';
import * as ref from '../methods/reference.test-support';
import { interpolate } from '../recipe/settings';

const CLI = new URL('./merge.ts', import.meta.url).pathname;
let root: string;
let runs = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'merge-goldens-'));
  await writeFixtureTree(join(root, 'models'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The CPU backend, and the WebGPU backend (on this machine through Dawn and SwiftShader, with the browser's WGSL). */
const BACKENDS = ['cpu', 'webgpu'] as const;

/** Writes the recipe (fixture ids made local paths) to a file, runs the command, and returns the output folder's files. */
async function mergeOn(text: string, backend: 'cpu' | 'webgpu'): Promise<{ files: Map<string, Uint8Array> }> {
  const id = ++runs;
  const config = join(root, `recipe-${id}.yml`);
  const out = join(root, `out-${id}`);
  await writeFile(config, text.replace(/\btiny\//g, `${root}/models/tiny/`));
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, config, out, '--backend', backend, ...(backend === 'cpu' ? ['--threads', '1'] : [])], { cwd: process.cwd() });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (c) => resolve({ code: c ?? -1, stderr: err }));
  });
  if (code !== 0) throw new Error(`merge failed (${code}): ${stderr}`);
  const files = new Map<string, Uint8Array>();
  for (const name of await readdir(out)) files.set(name, new Uint8Array(await readFile(join(out, name))));
  return { files };
}

/** f64 values of a tensor of a fixture or an output folder. */
async function tensorOf(source: string | Map<string, Uint8Array>, name: string): Promise<Float64Array> {
  const model = await loadModel(memoryFolder('m', typeof source === 'string' ? await fixtureFiles(source) : source));
  const t = model.tensors.get(name)!;
  const bytes = await (await model.folder.open(t.file)).read(t.offset, t.length);
  const values = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
  decodeToF32(t.dtype as FloatDType, bytes, values);
  return Float64Array.from(values);
}

const bf16 = (values: Float64Array) => values.map((v) => {
  const bits = f32ToBf16(v);
  return new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!;
});

/**
 * The golden criterion. CPU: every element within 1 bf16 ulp of the float64 reference rounded once. WebGPU computes in
 * f32 where the CPU kernels use f64, so its stated tolerance is: within 1 ulp of the result or within 1 bf16 ulp of
 * the largest operand at that element (what f32 arithmetic can promise for sums that nearly cancel), with up to 0.1 %
 * of elements exempt — TIES sign votes whose weighted sum is zero up to rounding, which f32 and f64 may call either
 * way. Every stage of a nested recipe rounds once, so nested results may be 2 ulps off.
 */
function expectGolden(backend: Backend, actual: Float64Array, expected: Float64Array, operands: readonly Float64Array[] = [], stages = 1): void {
  expect(actual.length).toBe(expected.length);
  const ulps = (a: number, b: number) => Math.abs(f32ToBf16(a) - f32ToBf16(b));
  if (backend === 'cpu') {
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, ulps(actual[i]!, expected[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    return;
  }
  let outside = 0;
  for (let i = 0; i < actual.length; i++) {
    if (ulps(actual[i]!, expected[i]!) <= stages) continue;
    const largest = Math.max(...operands.map((x) => Math.abs(x[i]!)));
    if (Math.abs(actual[i]! - expected[i]!) <= bf16Ulp(largest) * stages) continue;
    outside += 1;
  }
  expect(outside).toBeLessThanOrEqual(Math.floor(actual.length / 1000));
}

/** The spacing of bf16 numbers at |x|. */
function bf16Ulp(x: number): number {
  return x === 0 ? 0 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 7);
}

type Backend = (typeof BACKENDS)[number];

const LAYERS = 4;
const SAMPLE = ['model.embed_tokens.weight', 'model.layers.1.self_attn.q_proj.weight', 'model.layers.2.mlp.down_proj.weight', 'model.layers.3.input_layernorm.weight', 'model.norm.weight', 'lm_head.weight'];
const layerT = (name: string, values: number[]) => {
  const m = /layers\.(\d+)\./.exec(name);
  return m === null ? values[0]! : interpolate(values, Number(m[1]) / (LAYERS - 1));
};

describe.concurrent.each(BACKENDS)('npm run merge --backend %s: community recipes against the float64 references', (backend) => {
  const merge = (text: string) => mergeOn(text, backend);
  it('(a) two-model SLERP with self_attn/mlp gradient filters', async () => {
    const out = await merge(GRADIENT_SLERP);
    expect([...out.files.keys()].sort()).toEqual(['README.md', 'config.json', 'generation_config.json', 'mergekit_config.yml', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect((await loadModel(memoryFolder('out', out.files))).tensors.size).toBe(39);
    for (const name of SAMPLE) {
      const t = name.includes('self_attn') ? layerT(name, [0, 0.5, 0.3, 0.7, 1]) : name.includes('mlp') ? layerT(name, [1, 0.5, 0.7, 0.3, 0]) : 0.5;
      const operands = [await tensorOf('tiny/llama-bf16', name), await tensorOf('tiny/llama-bf16-ft', name)];
      expectGolden(backend, await tensorOf(out.files, name), ref.slerp(t, operands[0]!, operands[1]!), operands);
    }
  });

  it('(b) lzlv-style: two SLERP components with layer gradients, then a SLERP of the two, in one pass', async () => {
    const out = await merge(LZLV);
    for (const name of SAMPLE) {
      const [base, ft, ft2] = await Promise.all(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2'].map((id) => tensorOf(id, name)));
      // Each stage's result is rounded to bf16, as if written to disk and read back.
      const c1 = bf16(ref.slerp(layerT(name, [0.25, 0.3, 0.5]), base!, ft!));
      const c2 = bf16(ref.slerp(layerT(name, [0.4, 0.3, 0.25]), ft2!, base!));
      expectGolden(backend, await tensorOf(out.files, name), ref.slerp(0.5, c1, c2), [base!, ft!, ft2!], 2);
    }
  });

  it('(c) QuartetAnemoi-style: three sequential NearSwap stages at t = 0.0001 into one base', async () => {
    const stage = (name: string | undefined, base: string, other: string) =>
      `${name === undefined ? '' : `name: ${name}\n`}merge_method: nearswap\nbase_model: ${base}\nmodels:\n  - model: ${base}\n  - model: ${other}\nparameters:\n  t: 0.0001\ndtype: bfloat16\n`;
    const out = await merge([stage('step-1', 'tiny/llama-bf16', 'tiny/llama-bf16-ft'), stage('step-2', 'step-1', 'tiny/llama-bf16-ft2'), stage(undefined, 'step-2', 'tiny/llama-bf16-sharded')].join('---\n'));
    for (const name of SAMPLE) {
      const [base, ft, ft2, sharded] = await Promise.all(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2', 'tiny/llama-bf16-sharded'].map((id) => tensorOf(id, name)));
      const s1 = bf16(ref.nearswap(1e-4, base!, ft!));
      const s2 = bf16(ref.nearswap(1e-4, s1, ft2!));
      expectGolden(backend, await tensorOf(out.files, name), ref.nearswap(1e-4, s2, sharded!), [base!, ft!, ft2!, sharded!], 3);
    }
  });

  it('(d) Thorns-style: nested SLERPs whose inputs include model+lora references', async () => {
    const out = await merge(`name: inner
merge_method: slerp
base_model: tiny/llama-bf16
models:
  - model: tiny/llama-bf16-ft+tiny/llama-lora
parameters:
  t: 0.4
dtype: bfloat16
---
merge_method: slerp
base_model: inner
models:
  - model: tiny/llama-bf16-ft2+tiny/llama-lora
parameters:
  t: [0.2, 0.8]
dtype: bfloat16
`);
    const merged = await loadModel(memoryFolder('out', out.files));
    for (const name of SAMPLE) {
      const [base, ft, ft2] = await Promise.all(['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2'].map((id) => tensorOf(id, name)));
      const bake = async (w: Float64Array) => bf16(await bakeAdapter('tiny/llama-lora', name, w, merged.tensors.get(name)!.shape));
      const inner = bf16(ref.slerp(0.4, base!, await bake(ft!)));
      expectGolden(backend, await tensorOf(out.files, name), ref.slerp(layerT(name, [0.2, 0.8]), inner, await bake(ft2!)), [base!, ft!, ft2!], 2);
    }
  });

  // Four stages over eight inputs through the command, beside the other recipes running at the same time: more time.
  it('(e) Thorns as its card writes it: five models, nested SLERPs, LoRAs baked onto two SLERP outputs and one input', { timeout: 180_000 }, async () => {
    const out = await merge(THORNS);
    const merged = await loadModel(memoryFolder('out', out.files));
    expect(merged.tensors.size).toBe(39);
    // Every weight some adapter changes (q/v: llama-lora on thorns-left, o/down: the rsLoRA on thorns-right, q/o: the
    // fan_in_fan_out one on ft4), and weights none changes.
    const names = [...SAMPLE, 'model.layers.0.self_attn.v_proj.weight', 'model.layers.3.self_attn.o_proj.weight', 'model.layers.0.mlp.down_proj.weight'];
    for (const name of names) {
      const ids = ['tiny/llama-bf16', 'tiny/llama-bf16-ft', 'tiny/llama-bf16-ft2', 'tiny/llama-bf16-ft3', 'tiny/llama-bf16-ft4'];
      const [nous, chronos, platypus, airoboros, holodeck] = await Promise.all(ids.map((id) => tensorOf(id, name)));
      const shape = merged.tensors.get(name)!.shape;
      // Each stage is rounded to bf16 (written to disk by mergekit-multi); the LoRA is merged into it in float and
      // rounded to bf16 again; a LoRA on an input is merged into the bf16 weights the same way.
      const left = bf16(await bakeAdapter('tiny/llama-lora', name, bf16(ref.slerp(layerT(name, [0.3, 0.6]), nous!, chronos!)), shape));
      const right = bf16(await bakeAdapter('tiny/llama-lora-rs', name, bf16(ref.slerp(0.45, platypus!, airoboros!)), shape));
      const mid = bf16(ref.slerp(0.5, left, right));
      const expected = ref.slerp(layerT(name, [0.6, 0.4]), mid, bf16(await bakeAdapter('tiny/llama-lora-fifo', name, holodeck!, shape)));
      expectGolden(backend, await tensorOf(out.files, name), expected, [nous!, chronos!, platypus!, airoboros!, holodeck!], 4);
    }
  });
});

/**
 * The float64 PEFT merge of adapter fixture `id` into weight `name` (unchanged when the adapter does not adapt it):
 * scale lora_alpha / r, or lora_alpha / √r with rsLoRA, read from its adapter_config.json; `shape` is the weight's.
 */
async function bakeAdapter(id: string, name: string, w: Float64Array, shape: readonly number[]): Promise<Float64Array> {
  const files = await fixtureFiles(id);
  const config = JSON.parse(new TextDecoder().decode(files.get('adapter_config.json'))) as { r: number; lora_alpha: number; use_rslora: boolean; fan_in_fan_out: boolean };
  const module = name.replace(/\.weight$/, '');
  const adapter = await loadModel(memoryFolder(id, files));
  if (!adapter.tensors.has(`base_model.model.${module}.lora_A.weight`)) return w;
  const a = await tensorOf(files, `base_model.model.${module}.lora_A.weight`);
  const b = await tensorOf(files, `base_model.model.${module}.lora_B.weight`);
  const scale = config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;
  return ref.loraMerge(w, a, b, config.r, scale, shape[1]!, config.fan_in_fan_out);
}

describe.concurrent.each(BACKENDS)('npm run merge --backend %s: every method on the fixtures, against the float64 references', (backend) => {
  const merge = (text: string) => mergeOn(text, backend);
  const NAMES = ['model.layers.2.mlp.down_proj.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.norm.weight', 'model.embed_tokens.weight'];
  const deltaOf = (x: Float64Array, b: Float64Array) => x.map((v, i) => Math.fround(v - b[i]!));
  const cases: [string, string, (t: Record<string, Float64Array>, shape: readonly number[]) => Float64Array | undefined][] = [
    ['linear', 'models:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 0.3}}\n  - {model: tiny/llama-bf16-ft2, parameters: {weight: 0.7}}\n', (t) => ref.linear([t.ft!, t.ft2!], [0.3, 0.7])],
    ['passthrough', 'models:\n  - {model: tiny/llama-bf16-ft, parameters: {scale: 0.5}}\n', (t) => t.ft!.map((v) => v * 0.5)],
    ['slerp', 'base_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16-ft\nparameters: {t: 0.35}\n', (t) => ref.slerp(0.35, t.base!, t.ft!)],
    ['nearswap', 'base_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16-ft\nparameters: {t: 0.004}\n', (t) => ref.nearswap(0.004, t.base!, t.ft!)],
    ['task_arithmetic', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 0.6}}\n  - {model: tiny/llama-bf16-ft2, parameters: {weight: 0.4}}\nparameters: {lambda: 0.9}\n', (t) => ref.gta(t.base!, [t.ft!, t.ft2!], [0.6, 0.4], { lambda: 0.9 })],
    ['ties', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 0.6, density: 0.5}}\n  - {model: tiny/llama-bf16-ft2, parameters: {weight: 0.4, density: 0.3}}\n', (t) =>
      ref.gta(t.base!, [t.ft!, t.ft2!], [0.6, 0.4], { masks: [ref.topkMask(deltaOf(t.ft!, t.base!), 0.5), ref.topkMask(deltaOf(t.ft2!, t.base!), 0.3)], consensus: true, normalize: true })],
    ['breadcrumbs', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 1, density: 0.6, gamma: 0.05}}\n', (t) =>
      ref.gta(t.base!, [t.ft!], [1], { masks: [ref.breadcrumbsMask(deltaOf(t.ft!, t.base!), 0.6, 0.05)] })],
    ['breadcrumbs_ties', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 0.5, density: 0.6}}\n  - {model: tiny/llama-bf16-ft2, parameters: {weight: 0.5, density: 0.6}}\n', (t) =>
      ref.gta(t.base!, [t.ft!, t.ft2!], [0.5, 0.5], { masks: [ref.breadcrumbsMask(deltaOf(t.ft!, t.base!), 0.6, 0.01), ref.breadcrumbsMask(deltaOf(t.ft2!, t.base!), 0.6, 0.01)], consensus: true })],
    ['model_stock', 'base_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16-ft\n  - model: tiny/llama-bf16-ft2\n  - model: tiny/llama-f32\n', (t) => ref.modelStock(t.base!, [t.ft!, t.ft2!, t.f32!])],
    ['nuslerp', 'models:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 0.4}}\n  - {model: tiny/llama-bf16-ft2, parameters: {weight: 0.6}}\n', (t, shape) => ref.nuslerp(0.6, t.ft!, t.ft2!, [shape[0]!, shape[1] ?? 1], 'flat')],
    ['multislerp', 'models:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 0.5}}\n  - {model: tiny/llama-f32, parameters: {weight: 0.5}}\n', (t) => ref.multislerp([t.ft!, t.f32!], [0.5, 0.5])],
    ['karcher', 'models:\n  - model: tiny/llama-bf16-ft\n  - model: tiny/llama-f32\n  - model: tiny/llama-bf16\n', (t) => ref.karcher([t.ft!, t.f32!, t.base!])],
    ['sce', 'base_model: tiny/llama-bf16\nmodels:\n  - model: tiny/llama-bf16-ft\n  - model: tiny/llama-bf16-ft2\nparameters: {select_topk: 0.5}\n', (t) => ref.sce(t.base!, [t.ft!, t.ft2!], 0.5)],
    ['dare_ties', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 1, density: 0.4}}\n', () => undefined],
    ['dare_linear', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 1, density: 0.4}}\n', () => undefined],
    ['della', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 1, density: 0.4, epsilon: 0.1}}\n', () => undefined],
    ['della_linear', 'base_model: tiny/llama-bf16\nmodels:\n  - {model: tiny/llama-bf16-ft, parameters: {weight: 1, density: 0.4, epsilon: 0.1}}\n', () => undefined],
  ];

  it('covers every registered method', async () => {
    const { METHODS } = await import('../methods/registry');
    expect(cases.map((c) => c[0]).sort()).toEqual(METHODS.map((m) => m.id).sort());
  });

  it.each(cases)('%s', async (method, body, reference) => {
    const out = await merge(`merge_method: ${method}\n${body}dtype: bfloat16\n`);
    // Names, shapes, dtypes, files and config exactly like the base model's, in bfloat16.
    const merged = await loadModel(memoryFolder('out', out.files));
    const base = await loadModel(memoryFolder('base', await fixtureFiles('tiny/llama-bf16')));
    expect([...merged.tensors.values()].map((t) => [t.name, t.shape.join('x'), t.dtype]).sort()).toEqual([...base.tensors.values()].map((t) => [t.name, t.shape.join('x'), 'BF16']).sort());
    expect([...out.files.keys()].filter((f) => f.endsWith('.safetensors') || f.endsWith('.json')).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(JSON.parse(new TextDecoder().decode(out.files.get('config.json')))).toEqual({ ...base.config, torch_dtype: 'bfloat16' });
    for (const name of NAMES) {
      const load = (id: string) => tensorOf(id, name);
      const t = { base: await load('tiny/llama-bf16'), ft: await load('tiny/llama-bf16-ft'), ft2: await load('tiny/llama-bf16-ft2'), f32: await load('tiny/llama-f32') };
      const actual = await tensorOf(out.files, name);
      const expected = reference(t, merged.tensors.get(name)!.shape);
      if (expected !== undefined) {
        expectGolden(backend, actual, expected, Object.values(t));
        continue;
      }
      if (!name.includes('layers.2')) continue;
      // Random masks: the share of elements that moved away from the base is about the density (8,192 elements:
      // one standard deviation is 0.5 %; 5 % is ten).
      let moved = 0;
      for (let i = 0; i < actual.length; i++) if (actual[i] !== t.base[i]) moved += 1;
      expect(Math.abs(moved / actual.length - 0.4)).toBeLessThan(0.05);
    }
  });
});
