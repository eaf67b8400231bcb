/** Bench cases, each run in its own process by bench/measure.ts. */
import { open, readFile, readdir, mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';

import type { Backend } from '../src/engine/backend';
import { loadInputs } from '../src/engine/load-inputs';
import { createNodeWorkerExecutor } from '../src/engine/node-worker-executor';
import { runPlan } from '../src/engine/run-plan';
import { openPlanInput, planGgufForMerge } from '../src/engine/gguf-output';
import type { GgufOutputType } from '../src/io/gguf/types';
import { copyModel } from '../src/io/model/copy-model';
import { loadModel } from '../src/io/model/load-model';
import { memoryFolder } from '../src/io/model/memory-folder';
import { openNodeFolder } from '../src/io/model/node-folder';
import type { ModelFolder } from '../src/io/model/types';
import type { DirectorySink } from '../src/io/sink/byte-sink';
import { createWebGpuBackend } from '../src/engine/webgpu-backend';
import { createNodeGpu, yieldToSoftwareGpu } from '../src/gpu/node-gpu';
import { nodeShaderLibrary } from '../src/gpu/node-shaders';
import { decodeToF32, encodeFromF32 } from '../src/io/safetensors/codec';
import { setWasmEnabled } from '../src/shared/wasm';
import { NodeDirectorySink } from '../src/io/sink/node-directory-sink';
import { compilePlan } from '../src/plan/compile';
import { parseRecipe } from '../src/recipe/parse';
import { benchModelSpec } from '../test/fixtures/models';
import { writeFixtureToDir } from '../test/fixtures/node-fixtures';
import { gpuPhases } from './gpu-phases';
import { lens70bHub, lensExact } from './lens';
import type { CaseResult } from './measure';

type Args = Record<string, string | number>;

const CHUNK = 16 * 1024 * 1024;

export const CASES: Record<string, (args: Args) => Promise<CaseResult>> = {
  /** Writes a Llama-shaped bf16 model of `mb` megabytes into `dir`. */
  async generate(args) {
    const started = performance.now();
    const spec = { ...benchModelSpec(Number(args['mb']) * 1e6, 1), ...singleFile(args) };
    await writeFixtureToDir(String(args['dir']), { id: 'bench/model', kind: 'model', spec });
    return { inputBytes: 0, seconds: (performance.now() - started) / 1000 };
  },

  /** Nothing: the process's own footprint (Node + tsx), to read the others against. */
  idle() {
    return Promise.resolve({ inputBytes: 0, seconds: 0 });
  },

  /** Baseline: every file read and written with plain positioned fs calls in 16 MiB chunks, one reused buffer. */
  async 'plain-copy'(args) {
    const to = await freshDir(String(args['to']));
    const started = performance.now();
    const buffer = new Uint8Array(CHUNK);
    let bytes = 0;
    // `from` may list several folders (comma-separated): the copy then reads as many bytes as a merge of them.
    const files = (await Promise.all(String(args['from']).split(',').map(async (from) => (await readdir(from)).map((name) => join(from, name))))).flat();
    for (const [i, path] of files.entries()) {
      const input = await open(path, 'r');
      const output = await open(join(to, `${i}-${basename(path)}`), 'w');
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        await output.write(buffer, 0, bytesRead);
        bytes += bytesRead;
      }
      await output.sync();
      await Promise.all([input.close(), output.close()]);
    }
    return { inputBytes: bytes, seconds: (performance.now() - started) / 1000 };
  },

  /** Our pipeline: headers → Model → copyModel (tensor by tensor, chunked, prefetching) → NodeDirectorySink. */
  async 'model-copy'(args) {
    const to = await freshDir(String(args['to']));
    const started = performance.now();
    const model = await loadModel(await openNodeFolder(String(args['from'])));
    await copyModel(model, await NodeDirectorySink.open(to));
    await model.folder.close();
    const bytes = model.files.reduce((sum, f) => sum + f.size, 0);
    return { inputBytes: bytes, seconds: (performance.now() - started) / 1000 };
  },

  /** Writes a fine-tuned sibling of the `generate` model (same shapes, parent + noise). */
  async 'generate-sibling'(args) {
    const started = performance.now();
    const spec = { ...benchModelSpec(Number(args['mb']) * 1e6, 1, { seed: 2, scale: 0.3 }), ...singleFile(args) };
    await writeFixtureToDir(String(args['dir']), { id: 'bench/sibling', kind: 'model', spec });
    return { inputBytes: 0, seconds: (performance.now() - started) / 1000 };
  },

  /** A whole merge on the CPU backend: recipe → plan → runPlan into a Node folder. Input = both models. */
  async merge(args) {
    const to = await freshDir(String(args['to']));
    const method = String(args['method']);
    const parameters: Record<string, string> = {
      slerp: `parameters:\n  t: ${args['t'] === undefined ? '[0, 0.5, 1]' : String(args['t'])}\n`,
      nearswap: 'parameters:\n  t: 0.0001\n',
      ties: 'parameters:\n  density: 0.5\n  weight: 0.5\n',
    };
    const text = `merge_method: ${method}\nbase_model: ${String(args['a'])}\nmodels:\n  - model: ${String(args['b'])}\n${parameters[method] ?? ''}dtype: bfloat16\n`;
    // `in-memory`: both models are read into memory first (untimed) and the output is encoded but not kept, so the
    // figure is the merge math and the engine alone — comparable with a kernel measured on in-memory tensors.
    const inMemory = args['in-memory'] === 1 || args['in-memory'] === '1';
    // `wasm: 0` runs the TypeScript loops instead of WebAssembly SIMD (same results; on this thread only).
    setWasmEnabled(args['wasm'] !== 0);
    const preloaded = new Map<string, ModelFolder>();
    if (inMemory) {
      for (const dir of [String(args['a']), String(args['b'])]) {
        const files = new Map<string, Uint8Array>();
        for (const name of await readdir(dir)) files.set(name, new Uint8Array(await readFile(join(dir, name))));
        preloaded.set(dir, memoryFolder(dir, files));
      }
    }
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    const recipe = parseRecipe(text);
    const inputs = await loadInputs(recipe, (path) => Promise.resolve(preloaded.get(path) ?? openNodeFolder(path)));
    const plan = compilePlan({ recipe, recipeText: text, models: inputs.models, maxShardBytes: 256e6 });
    if (args['plan-only'] === 1) return { inputBytes: plan.summary.inputBytes, seconds: (performance.now() - started) / 1000, note: `planned, peak memory estimate ${(plan.summary.peakMemoryBytes / 1e6).toFixed(0)} MB` };
    // `discard`: inputs read from their files, the output encoded but not kept (sparse 7B-shaped inputs would
    // otherwise write 13 GB of zeros).
    const sink = inMemory || args['discard'] === 1 ? discardingSink() : await NodeDirectorySink.open(to);
    // `format: gguf|both` (with `gguf-type`): the GGUF export instead of, or beside, the shards in the same pass.
    const format = String(args['format'] ?? 'safetensors');
    const ggufType = String(args['gguf-type'] ?? 'f16') as GgufOutputType;
    const gguf =
      format === 'safetensors'
        ? undefined
        : { plan: await planGgufForMerge(plan, (input, file) => openPlanInput(inputs.folders, input, file), { type: ggufType, name: 'bench' }), only: format === 'gguf' };
    const formatNote = gguf === undefined ? '' : `, ${format === 'gguf' ? 'GGUF only' : 'safetensors + GGUF'} ${ggufType}`;
    if (args['backend'] === 'webgpu') {
      // The whole pipeline on the WebGPU backend (Dawn; SwiftShader where there is no GPU driver), timing how long the
      // engine waits on the backend: GPU work, uploads and readbacks.
      // Optional `ring-slots` / `slot-bytes`: the staging ring's depth and slot size (defaults: the backend's own).
      const ring = args['ring-slots'] === undefined ? {} : { ringSlots: Number(args['ring-slots']) };
      const slot = args['slot-bytes'] === undefined ? {} : { slotBytes: Number(args['slot-bytes']) };
      const gpu = await createWebGpuBackend(createNodeGpu(), nodeShaderLibrary(), { ...ring, ...slot });
      // As `npm run merge -- --backend webgpu` does on a software adapter (src/cli/backend-choice.ts).
      if (gpu.software) yieldToSoftwareGpu();
      const timed = timedBackend(gpu);
      try {
        await runPlan(plan, inputs.folders, sink, { backend: timed.backend });
      } finally {
        await gpu.dispose();
      }
      const seconds = (performance.now() - started) / 1000;
      const ringNote = args['ring-slots'] === undefined ? '' : `, ring of ${String(args['ring-slots'])}`;
      // CPU time of every thread of the process (SwiftShader's included): the work done, whatever else loads the machine.
      const cpu = process.cpuUsage(cpuAtStart);
      const cpuNote = `CPU time ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`;
      // The start-up: plan, device, output folder and the first tensor's reads, until the engine hands the backend a tensor.
      const firstAt = timed.firstCallAt();
      const startNote = firstAt === undefined ? '' : `, first tensor on the backend after ${((firstAt - started) / 1000).toFixed(2)} s`;
      return { inputBytes: plan.summary.inputBytes, seconds, note: `${method}, ${gpu.label}${ringNote}, backend busy ${((timed.busySeconds() / seconds) * 100).toFixed(0)}% of wall time${startNote}, ${cpuNote}` };
    }
    const memoryNote = inMemory ? ', inputs in memory, output discarded' : args['discard'] === 1 ? ', output discarded' : '';
    const threads = Number(args['threads'] ?? availableParallelism());
    if (threads === 0) {
      // `threads: 0` computes on the main thread: one profile (`node --cpu-prof`) then shows the whole merge.
      await runPlan(plan, inputs.folders, sink);
      const loops = args['wasm'] === 0 ? 'TypeScript loops' : 'WebAssembly SIMD';
      return { inputBytes: plan.summary.inputBytes, seconds: (performance.now() - started) / 1000, note: `${method}, CPU on the main thread, ${loops}${memoryNote}` };
    }
    const executor = createNodeWorkerExecutor({ threads });
    try {
      await runPlan(plan, inputs.folders, sink, { executor, ...(gguf === undefined ? {} : { gguf }) });
    } finally {
      await executor.dispose();
    }
    return { inputBytes: plan.summary.inputBytes, seconds: (performance.now() - started) / 1000, note: `${method}, ${executor.label}${memoryNote}${formatNote}` };
  },

  /** Where a WebGPU sub-chunk's time goes (bench/gpu-phases.ts). */
  'gpu-phases': gpuPhases,

  /** The weight lens (bench/lens.ts): exact on the CPU pool, one thread or WebGPU; fast at 70B over the mock Hub. */
  'lens-exact': lensExact,
  'lens-70b-hub': lens70bHub,

  /** The bf16 codecs on 64 Mi elements: decode to f32 then encode back with round-to-nearest-even. */
  async codec(args) {
    const simd = args['wasm'] !== 0;
    setWasmEnabled(simd);
    const count = 64 * 1024 * 1024;
    const bytes = new Uint8Array(count * 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.imul(i, 2654435761) >>> 24;
    const values = new Float32Array(count);
    const out = new Uint8Array(count * 2);
    // One untimed pass: the first touch of fresh typed arrays (page faults) and JIT warm-up cost ~10x a pass.
    decodeToF32('BF16', bytes, values);
    encodeFromF32('BF16', values, out);
    const passes = 3;
    const started = performance.now();
    for (let i = 0; i < passes; i++) {
      decodeToF32('BF16', bytes, values);
      encodeFromF32('BF16', values, out);
    }
    return { inputBytes: passes * bytes.byteLength, seconds: (performance.now() - started) / 1000, note: `bf16 decode + encode, warm, ${simd ? 'WebAssembly SIMD' : 'TypeScript loops'}` };
  },
};

/** A backend that adds up the time its mergers' calls take (how long the engine waits on it). */
function timedBackend(inner: Backend): { backend: Backend; busySeconds: () => number; firstCallAt: () => number | undefined } {
  // Wall time during which at least one call is in flight (calls of two tensors may overlap).
  let busy = 0;
  let first: number | undefined;
  let active = 0;
  let since = 0;
  const time = async <T>(work: () => Promise<T>): Promise<T> => {
    if (active++ === 0) since = performance.now();
    try {
      return await work();
    } finally {
      if (--active === 0) busy += performance.now() - since;
    }
  };
  const backend: Backend = {
    kind: inner.kind,
    label: inner.label,
    createMerger: async (method, job, count) => {
      first ??= performance.now();
      const merger = await time(() => inner.createMerger(method, job, count));
      const applyEncoded = merger.applyEncoded?.bind(merger);
      return {
        passes: merger.passes,
        rowLength: merger.rowLength,
        reduce: (pass, inputs, start, n) => time(() => merger.reduce(pass, inputs, start, n)),
        endPass: (pass) => time(() => merger.endPass(pass)),
        apply: (inputs, start, n, roundTo) => time(() => merger.apply(inputs, start, n, roundTo)),
        // Kept when the merger has it: without it the engine takes the f32 path, which a real run does not.
        ...(applyEncoded === undefined ? {} : { applyEncoded: (inputs, start, n, dtype, out) => time(() => applyEncoded(inputs, start, n, dtype, out)) }),
        release: () => merger.release(),
      };
    },
    dispose: () => inner.dispose(),
  };
  return { backend, busySeconds: () => busy / 1000, firstCallAt: () => first };
}

/** A folder that keeps small files (the writer's manifest) and only counts the bytes of large ones. */
function discardingSink(): DirectorySink {
  const small = new Map<string, Uint8Array>();
  return {
    name: 'discarded',
    createFile: (name) => {
      const chunks: Uint8Array[] = [];
      let written = 0;
      return Promise.resolve({
        name,
        get written() {
          return written;
        },
        write: (chunk) => {
          written += chunk.byteLength;
          if (written <= 1 << 20) chunks.push(chunk.slice());
          return Promise.resolve();
        },
        close: () => {
          if (written <= 1 << 20) small.set(name, new Uint8Array(Buffer.concat(chunks)));
          return Promise.resolve();
        },
        abort: () => Promise.resolve(),
      });
    },
    list: () => Promise.resolve([...small.keys()]),
    readFile: (name) => Promise.resolve(small.get(name)),
    remove: (name) => {
      small.delete(name);
      return Promise.resolve();
    },
    removeTemporaries: () => Promise.resolve([]),
  };
}

/** `single: 1` writes one `model.safetensors` (what the torch peer reads). */
function singleFile(args: Args): { maxShardBytes?: number } {
  return args['single'] === 1 ? { maxShardBytes: Number.MAX_SAFE_INTEGER } : {};
}

async function freshDir(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}
