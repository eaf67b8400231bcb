/**
 * Fault matrix, through the real CLI child process: SIGINT and kill -9 in the middle of writing, then the same
 * command again resumes and ends byte-identical to an uninterrupted run; a finished model is never overwritten
 * without --allow-overwrite. One Hub input is served slowly so that there is a "middle" to interrupt.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { INDEX_FILE } from '../../src/io/safetensors/shard-index';
import { PARTIAL_MARKER } from '../../src/io/safetensors/writer';
import { standardRepos } from '../mock-hub/fixture-repos';
import { startMockHub } from '../mock-hub/server';
import type { MockHub } from '../mock-hub/server';
import { fixtureTree, sameFolders, slerp, snapshot, tempDir } from './support';

const CLI = new URL('../../src/cli/merge.ts', import.meta.url).pathname;
let models: string;
let hub: MockHub;
let recipeFile: string;

beforeAll(async () => {
  models = await fixtureTree();
  hub = await startMockHub({ repos: await standardRepos() });
  recipeFile = join(await tempDir(), 'recipe.yml');
  await writeFile(recipeFile, slerp(`${models}/tiny/llama-bf16`, 'tiny/llama-bf16-ft'));
});
afterAll(async () => {
  await hub.close();
});

interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs `npm run merge -- …`; `interrupt` may kill the child while it runs. */
function cli(args: readonly string[], interrupt?: (child: ChildProcess) => void): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, HF_ENDPOINT: hub.url } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
    interrupt?.(child);
  });
}

const ARGS = ['--out-shard-size', '100kB', '--backend', 'cpu', '--threads', '1'];

/** Sends `signal` as soon as the marker in `out` records a finished shard. */
function killAfterFirstShard(out: string, signal: NodeJS.Signals): (child: ChildProcess) => void {
  return (child) => {
    // Reads of the marker overlap on a busy machine: send the signal once (a second Ctrl-C means "quit now").
    let sent = false;
    const timer = setInterval(() => {
      void readFile(join(out, PARTIAL_MARKER), 'utf8').then(
        (text) => {
          const finished = (JSON.parse(text) as { finished?: string[] }).finished ?? [];
          if (finished.length > 0 && !sent) {
            sent = true;
            clearInterval(timer);
            child.kill(signal);
          }
        },
        () => undefined,
      );
    }, 10);
    child.on('close', () => clearInterval(timer));
  };
}

describe('faults: the CLI interrupted mid-write', { timeout: 180_000 }, () => {
  let reference: Map<string, Buffer>;
  beforeAll(async () => {
    const out = join(await tempDir(), 'out');
    const done = await cli([recipeFile, out, ...ARGS]);
    expect(done.code).toBe(0);
    reference = await snapshot(out);
    expect([...reference.keys()]).toContain(INDEX_FILE);
  }, 120_000);

  it.each(['SIGINT', 'SIGKILL'] as const)('resumes after %s and ends byte-identical to an uninterrupted run', async (signal) => {
    const out = join(await tempDir(), 'out');
    // The Hub input trickles in, so the run is still writing when the first shard appears.
    hub.fail({ pathIncludes: 'tiny/llama-bf16-ft/resolve', times: 100_000, chunkDelayMs: 25, chunkBytes: 2048 });
    const killed = await cli([recipeFile, out, ...ARGS], killAfterFirstShard(out, signal));
    hub.reset();
    if (signal === 'SIGINT') {
      expect(killed.code, killed.stderr).toBe(1);
      expect(killed.stderr).toMatch(/Cancelling… \(run the same command again to resume\)/);
      expect(killed.stderr.trim().split('\n').at(-1)).toBe('error: The merge was cancelled. Run it again to resume: finished shards are kept.');
    } else {
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
    }
    const left = await readdir(out);
    expect(left, killed.stderr).toContain(PARTIAL_MARKER);
    expect(left).not.toContain(INDEX_FILE);
    const resumed = await cli([recipeFile, out, ...ARGS]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/Resuming the unfinished merge in .*: keeping [1-9]\d* finished shard\(s\)\./);
    // No temporaries of the killed run, no marker: exactly the uninterrupted run's files and bytes.
    sameFolders(await snapshot(out), reference);
  });

  it('refuses a finished model without --allow-overwrite, leaving it untouched, and replaces it with --allow-overwrite', async () => {
    const out = join(await tempDir(), 'out');
    await mkdir(out);
    expect((await cli([recipeFile, out, ...ARGS])).code).toBe(0);
    await writeFile(join(out, 'notes.txt'), 'mine');
    const before = await snapshot(out);
    const refused = await cli([recipeFile, out, '--backend', 'cpu', '--threads', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/^error: The output folder .*out is not empty\. .*--allow-overwrite/);
    sameFolders(await snapshot(out), before);
    const replaced = await cli([recipeFile, out, '--allow-overwrite', '--backend', 'cpu', '--threads', '1']);
    expect(replaced.code).toBe(0);
    const names = await readdir(out);
    expect(names).toContain('model.safetensors');
    expect(names).toContain('notes.txt');
    expect(names.filter((n) => n.startsWith('model-') || n === INDEX_FILE)).toEqual([]);
  });

  it('says which input changed when the same command meets other inputs', async () => {
    const out = join(await tempDir(), 'out');
    hub.fail({ pathIncludes: 'tiny/llama-bf16-ft/resolve', times: 100_000, chunkDelayMs: 25, chunkBytes: 2048 });
    await cli([recipeFile, out, ...ARGS], killAfterFirstShard(out, 'SIGKILL'));
    hub.reset();
    // The Hub repo moves to a new commit between the runs.
    const repo = (await standardRepos()).find((r) => r.id === 'tiny/llama-bf16-ft');
    await hub.addRepo({ ...(repo as NonNullable<typeof repo>), sha: 'c0ffee'.padEnd(40, '0') });
    const again = await cli([recipeFile, out, ...ARGS]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Starting over in .*: its unfinished merge cannot be resumed because\n {2}- model tiny\/llama-bf16-ft: revision [0-9a-f]{12} → c0ffee000000\n/);
  });
});
