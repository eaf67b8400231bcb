/** Bench cases, each run in its own process by bench/measure.ts. */
import { open, readdir, mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';

import { loadInputs } from '../src/engine/load-inputs';
import { createNodeWorkerExecutor } from '../src/engine/node-worker-executor';
import { runPlan } from '../src/engine/run-plan';
import { copyModel } from '../src/io/model/copy-model';
import { loadModel } from '../src/io/model/load-model';
import { openNodeFolder } from '../src/io/model/node-folder';
import { decodeToF32, encodeFromF32 } from '../src/io/safetensors/codec';
import { NodeDirectorySink } from '../src/io/sink/node-directory-sink';
import { compilePlan } from '../src/plan/compile';
import { parseRecipe } from '../src/recipe/parse';
import { benchModelSpec } from '../test/fixtures/models';
import { writeFixtureToDir } from '../test/fixtures/node-fixtures';
import type { CaseResult } from './measure';

type Args = Record<string, string | number>;

const CHUNK = 16 * 1024 * 1024;

export const CASES: Record<string, (args: Args) => Promise<CaseResult>> = {
  /** Writes a Llama-shaped bf16 model of `mb` megabytes into `dir`. */
  async generate(args) {
    const started = performance.now();
    const spec = benchModelSpec(Number(args['mb']) * 1e6, 1);
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
    const spec = benchModelSpec(Number(args['mb']) * 1e6, 1, { seed: 2, scale: 0.3 });
    await writeFixtureToDir(String(args['dir']), { id: 'bench/sibling', kind: 'model', spec });
    return { inputBytes: 0, seconds: (performance.now() - started) / 1000 };
  },

  /** A whole merge on the CPU backend: recipe → plan → runPlan into a Node folder. Input = both models. */
  async merge(args) {
    const to = await freshDir(String(args['to']));
    const method = String(args['method']);
    const parameters: Record<string, string> = {
      slerp: 'parameters:\n  t: [0, 0.5, 1]\n',
      nearswap: 'parameters:\n  t: 0.0001\n',
      ties: 'parameters:\n  density: 0.5\n  weight: 0.5\n',
    };
    const text = `merge_method: ${method}\nbase_model: ${String(args['a'])}\nmodels:\n  - model: ${String(args['b'])}\n${parameters[method] ?? ''}dtype: bfloat16\n`;
    const started = performance.now();
    const recipe = parseRecipe(text);
    const inputs = await loadInputs(recipe, (path) => openNodeFolder(path));
    const plan = compilePlan({ recipe, recipeText: text, models: inputs.models, maxShardBytes: 256e6 });
    const executor = createNodeWorkerExecutor({ threads: Number(args['threads'] ?? availableParallelism()) });
    try {
      await runPlan(plan, inputs.folders, await NodeDirectorySink.open(to), { executor });
    } finally {
      await executor.dispose();
    }
    return { inputBytes: plan.summary.inputBytes, seconds: (performance.now() - started) / 1000, note: `${method}, ${executor.label}` };
  },

  /** The bf16 codecs on 64 Mi elements: decode to f32 then encode back with round-to-nearest-even. */
  async codec() {
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
    return { inputBytes: passes * bytes.byteLength, seconds: (performance.now() - started) / 1000, note: 'bf16 decode + encode, warm' };
  },
};

async function freshDir(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}
