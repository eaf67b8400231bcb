import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeFixtureTree } from '../../test/fixtures/node-fixtures';
import { standardRepos } from '../../test/mock-hub/fixture-repos';
import { startMockHub } from '../../test/mock-hub/server';
import { runCliEntry } from '../../test/cli-child';
import type { MockHub } from '../../test/mock-hub/server';

const CLI = new URL('./lens.ts', import.meta.url).pathname;
let root: string;
let hub: MockHub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lens-cli-'));
  await writeFixtureTree(join(root, 'models'));
  hub = await startMockHub({ repos: await standardRepos() });
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliEntry(CLI, args, { ...process.env, HF_ENDPOINT: hub.url });

interface LensJson {
  a: string;
  b: string;
  mode: string;
  backend: string;
  tensors: ({ name: string; shape: number[]; norm_a: number; cosine: number | null; relative_difference: number | null } & Record<string, unknown>)[];
}

describe('npm run lens', () => {
  it('compares a local folder with a Hub repo: a layers × modules table, JSON and CSV', async () => {
    const local = join(root, 'models', 'tiny', 'llama-bf16');
    const { code, stdout, stderr } = await cli([local, 'tiny/llama-bf16-ft', '--exact', '--json', join(root, 'o.json'), '--csv', join(root, 'o.csv')]);
    expect(stderr).toMatch(/Lens \(exact\): 39 tensors, .* to read, about /);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`relative_difference of ${local} → tiny/llama-bf16-ft (exact)`);
    expect(lines[1]).toMatch(/^ +q +k +v +o +gate +up +down +norms +other$/);
    expect(lines.slice(2, 8).map((l) => l.split(/ {2,}/)[0])).toEqual(['embeddings', 'layer 0', 'layer 1', 'layer 2', 'layer 3', 'head']);
    const json = JSON.parse(await readFile(join(root, 'o.json'), 'utf8')) as LensJson;
    expect(json).toMatchObject({ a: local, b: 'tiny/llama-bf16-ft', mode: 'exact' });
    expect(json.tensors).toHaveLength(39);
    const q = json.tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight');
    expect(q?.shape).toEqual([64, 64]);
    expect(q?.cosine).toBeGreaterThan(0.9);
    expect(q?.cosine).toBeLessThan(1);
    const csv = (await readFile(join(root, 'o.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(40);
  });

  it('reduces exact mode on WebGPU with --backend webgpu, within 1e-5 of the CPU backend on every metric', async () => {
    const local = join(root, 'models', 'tiny', 'llama-bf16');
    const run = async (backend: string, ...extra: string[]) => {
      const out = join(root, `${backend}.json`);
      const result = await cli([local, 'tiny/llama-bf16-ft', '--exact', '--backend', backend, '--nearswap-t', '0.004', '--json', out, ...extra]);
      expect(result.code, result.stderr).toBe(0);
      return { stderr: result.stderr, json: JSON.parse(await readFile(out, 'utf8')) as LensJson };
    };
    const [gpu, cpu] = [await run('webgpu'), await run('cpu', '--threads', '2')];
    expect(gpu.stderr).toMatch(/Done in .* s on the WebGPU: /);
    expect(gpu.json.backend).toMatch(/^WebGPU: /);
    // --backend cpu: the worker threads.
    expect(cpu.json.backend).toBe('CPU, 2 worker threads');
    expect(gpu.json.tensors.map((t) => t.name)).toEqual(cpu.json.tensors.map((t) => t.name));
    const metrics = ['norm_a', 'norm_b', 'cosine', 'relative_difference', 'angle_degrees', 'nearswap_swapped', 'nearswap_mean_weight'];
    let compared = 0;
    gpu.json.tensors.forEach((tensor, i) => {
      for (const metric of metrics) {
        const want = cpu.json.tensors[i]?.[metric] as number;
        expect(Math.abs((tensor[metric] as number) - want), `${tensor.name} ${metric}`).toBeLessThanOrEqual(1e-5 * Math.abs(want));
        compared++;
      }
    });
    expect(compared).toBe(39 * metrics.length);
    const bad = await cli([local, 'tiny/llama-bf16-ft', '--exact', '--backend', 'tpu']);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(/^error: Unknown backend tpu/);
    const zero = await cli([local, 'tiny/llama-bf16-ft', '--exact', '--threads', '0']);
    expect(zero.stderr.trim().split('\n').at(-1)).toMatch(/^error: --threads takes a whole number of at least 1/);
  });

  it('reports nothing in common for models of different widths, and one clear line for a missing repo', async () => {
    const narrow = await cli([join(root, 'models', 'tiny', 'llama-bf16'), 'tiny/llama-narrow']);
    expect(narrow.code).toBe(1);
    expect(narrow.stderr.trim().split('\n').at(-1)).toMatch(/^error: .* have no tensor of the same name and shape/);
    const missing = await cli(['tiny/llama-bf16', 'nobody/missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^error: nobody\/missing was not found/);
  });
});
