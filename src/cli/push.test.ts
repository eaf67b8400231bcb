import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { downloadFile, listFiles } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_RECIPE, writeDemo } from '../../scripts/demo/demo-models';
import { MOCK_TOKEN, startMockHub } from '../../test/mock-hub/server';
import { runCliEntry } from '../../test/cli-child';
import type { MockHub } from '../../test/mock-hub/server';
import { NodeDirectorySink } from '../io/sink/node-directory-sink';

const CLI = new URL('./merge.ts', import.meta.url).pathname;
let root: string;
let hub: MockHub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'push-cli-'));
  const models = join(root, 'models');
  await writeDemo(await NodeDirectorySink.open(models, { create: true }), (id) => NodeDirectorySink.open(join(models, id), { create: true }));
  await writeFile(join(root, 'demo.yml'), DEMO_RECIPE.replace(/\bdemo-llama-/g, `${models}/demo-llama-`));
  hub = await startMockHub({ repos: [], cdn: true, multipartChunkBytes: 1024 * 1024 });
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

/** Runs the command without any token of this machine's environment; `output` is all it printed. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'HF_TOKEN' && k !== 'HUGGING_FACE_HUB_TOKEN'));
  const { code, stdout, stderr } = await runCliEntry(CLI, args, { ...clean, HF_ENDPOINT: hub.url, ...env });
  return { code, output: stdout + stderr };
}

describe('npm run merge -- --push-to-hub', () => {
  it('merges the demo, publishes it to a private repo, and the Hub copy is byte-identical; the token is nowhere', async () => {
    const out = join(root, 'demo-merge');
    const run = await cli([join(root, 'demo.yml'), out, '--backend', 'cpu', '--threads', '1', '--push-to-hub', 'mock-user/demo-merge'], { HF_TOKEN: MOCK_TOKEN });
    expect(run.output).toMatch(/Published: .*mock-user\/demo-merge \(new private repo\)/);
    expect(run.code).toBe(0);
    const local = (await readdir(out)).sort();
    expect(local).toContain('model.safetensors');
    const remote: string[] = [];
    for await (const entry of listFiles({ repo: 'mock-user/demo-merge', hubUrl: hub.url, accessToken: MOCK_TOKEN })) {
      remote.push(entry.path);
      const blob = await downloadFile({ repo: 'mock-user/demo-merge', path: entry.path, hubUrl: hub.url, accessToken: MOCK_TOKEN });
      expect(Buffer.compare(Buffer.from(await blob!.arrayBuffer()), await readFile(join(out, entry.path))), entry.path).toBe(0);
    }
    expect(remote.sort()).toEqual(local);
    expect((await fetch(`${hub.url}/api/models/mock-user/demo-merge`)).status).toBe(401);
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toMatch(/^---\nlibrary_name: transformers\n/); // local parents are not listed as Hub parents
    expect(card).toContain('| layer | t |');
    // The token is in no written file, no request body the Hub received, no URL, and not in the output.
    for (const name of local) expect((await readFile(join(out, name))).includes(MOCK_TOKEN), name).toBe(false);
    expect(hub.bodies.some((b) => b.includes(MOCK_TOKEN))).toBe(false);
    expect(hub.requests.some((r) => r.path.includes(MOCK_TOKEN))).toBe(false);
    expect(hub.requests.filter((r) => r.server === 'cdn').some((r) => r.hasAuthorization)).toBe(false);
    expect(run.output).not.toContain(MOCK_TOKEN);
  }, 120_000);

  it('refuses to start a merge it could not publish: no token, or a bad repo name', async () => {
    const noToken = await cli([join(root, 'demo.yml'), join(root, 'o1'), '--push-to-hub', 'mock-user/x'], {});
    expect(noToken.code).toBe(1);
    expect(noToken.output.trim().split('\n').at(-1)).toMatch(/^error: --push-to-hub needs a Hugging Face access token\..*HF_TOKEN/);
    await expect(readdir(join(root, 'o1'))).rejects.toThrow();
    const badName = await cli([join(root, 'demo.yml'), join(root, 'o2'), '--push-to-hub', 'not a repo'], { HF_TOKEN: MOCK_TOKEN });
    expect(badName.output.trim().split('\n').at(-1)).toMatch(/^error: "not a repo" is not a Hub repository name/);
  }, 60_000);
});
