/**
 * The offline demo: two tiny Llama-architecture siblings (about 5 MB each, bf16, with a SentencePiece-style BPE
 * tokenizer, so the merge also exports to GGUF) and a
 * LoRA adapter for one of them, generated deterministically by the fixture generator, plus a recipe that merges them.
 * Nothing binary is committed: `writeDemo` writes the files into `public/demo/` (the Vite plugin beside this file
 * calls it), and tests regenerate the same bytes in memory.
 */
import type { DemoManifest } from '../../src/app/demo-manifest';
import type { DirectorySink } from '../../src/io/sink/byte-sink';
import { writeWholeFile } from '../../src/io/sink/byte-sink';
import { writeLora, writeModel } from '../../test/fixtures/models';
import type { ModelSpec } from '../../test/fixtures/models';

/** Bump when the demo's files change, so stale generated copies are rebuilt. */
export const DEMO_VERSION = 2;

const BASE: ModelSpec = { arch: 'llama', dtype: 'BF16', layers: 8, hidden: 128, intermediate: 512, heads: 4, kvHeads: 2, vocab: 2048, seed: 101, tokenizer: 'llama2' };

export const DEMO_MODELS = [
  { id: 'demo-llama-base', description: 'Tiny Llama base model (8 layers, bf16)', write: (dir: DirectorySink) => writeModel(dir, BASE) },
  {
    id: 'demo-llama-chat',
    description: 'Its fine-tuned sibling',
    write: (dir: DirectorySink) => writeModel(dir, { ...BASE, derivedFrom: { seed: 102, scale: 0.3 } }),
  },
  {
    id: 'demo-llama-lora',
    description: 'A rank-8 LoRA adapter for the sibling',
    write: (dir: DirectorySink) =>
      writeLora(dir, { base: BASE, baseId: 'demo-llama-chat', rank: 8, alpha: 16, targets: ['q_proj', 'v_proj', 'o_proj'], seed: 103, dtype: 'BF16' }),
  },
] as const;

export const DEMO_RECIPE = `# The demo: SLERP of a tiny Llama and its fine-tuned sibling (with a LoRA baked in),
# attention and MLP blended along opposite layer gradients.
merge_method: slerp
base_model: demo-llama-base
models:
  - model: demo-llama-base
  - model: demo-llama-chat+demo-llama-lora
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
dtype: bfloat16
`;

/**
 * Writes every demo model into the folder `folder(id)` returns, then `manifest.json` into `root`. Returns the
 * manifest.
 */
export async function writeDemo(root: DirectorySink, folder: (id: string) => Promise<DirectorySink>): Promise<DemoManifest> {
  const models: DemoManifest['models'][number][] = [];
  for (const model of DEMO_MODELS) {
    const dir = await folder(model.id);
    await model.write(dir);
    const files: { path: string; size: number }[] = [];
    for (const name of await dir.list()) files.push({ path: name, size: (await dir.readFile(name))?.byteLength ?? 0 });
    models.push({ id: model.id, description: model.description, files });
  }
  const manifest: DemoManifest = { version: DEMO_VERSION, recipe: DEMO_RECIPE, outputName: 'demo-merge', models };
  await writeWholeFile(root, 'manifest.json', new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return manifest;
}
