import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LLAMA_2_70B, sparseModelFiles, writeSparseModel } from '../../test/fixtures/sparse-model';
import { startMockHub } from '../../test/mock-hub/server';
import type { MockHub } from '../../test/mock-hub/server';
import { lensGrid } from '../methods/lens-grid';
import { loadModel } from '../io/model/load-model';
import { openHubFolder } from '../io/model/hub-folder';
import { openNodeFolder } from '../io/model/node-folder';
import type { Model } from '../io/model/types';
import { hubSettings } from '../io/source/hub-client';
import { planLens, runLens } from './lens';

let root: string;
let hub: MockHub;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lens-70b-'));
  const files = sparseModelFiles(LLAMA_2_70B);
  hub = await startMockHub({ repos: [{ id: 'big/llama-70b-a', files }, { id: 'big/llama-70b-b', files }] });
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

/** Plans and runs fast mode on two Llama-2-70B-shaped models (sparse: every weight 0). */
async function lens70b(a: Model, b: Model, where: string): Promise<void> {
  const plan = planLens(a, b, { mode: 'fast' });
  expect(plan.tensors).toHaveLength(3 + 9 * 80);
  expect(plan.skipped).toEqual([]);
  // 8 rows of each of 562 large matrices (plus the small norms whole) from both models: about 0.2 GB of 2 × 138 GB.
  expect(plan.bytesToRead).toBeLessThan(250e6);
  const report = await runLens(plan, a, b);
  expect(report.tensors).toHaveLength(plan.tensors.length);
  // Zero weights: norms 0, and no cosine or relative difference to state.
  expect(report.tensors.every((t) => t.norm_a === 0 && t.cosine === null && t.relative_difference === null)).toBe(true);
  expect(lensGrid(report)).toHaveLength(82);
  process.stdout.write(
    `70B fast lens (${where}): ${plan.tensors.length} tensors, ${plan.requests} reads, ${(plan.bytesToRead / 1e6).toFixed(0)} MB in ${report.seconds.toFixed(2)} s (estimated ${plan.estimatedSeconds.toFixed(2)} s)\n`,
  );
}

describe('weight lens at 70B shape', () => {
  it('plans and runs fast mode over two sparse Llama-2-70B folders', { timeout: 120_000 }, async () => {
    await writeSparseModel(join(root, 'a'), LLAMA_2_70B);
    await writeSparseModel(join(root, 'b'), LLAMA_2_70B);
    const [a, b] = await Promise.all([loadModel(await openNodeFolder(join(root, 'a'))), loadModel(await openNodeFolder(join(root, 'b')))]);
    try {
      await lens70b(a, b, 'local folders');
    } finally {
      await Promise.all([a.folder.close(), b.folder.close()]);
    }
  });

  it('plans and runs fast mode over two Llama-2-70B repos on the mock Hub, with ranged reads only', { timeout: 120_000 }, async () => {
    const settings = hubSettings({ endpoint: hub.url });
    const [a, b] = await Promise.all([loadModel(await openHubFolder('big/llama-70b-a', undefined, settings)), loadModel(await openHubFolder('big/llama-70b-b', undefined, settings))]);
    hub.reset();
    await lens70b(a, b, 'mock Hub');
    const reads = hub.requests.filter((r) => r.path.endsWith('.safetensors'));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r.range !== undefined && r.status === 206)).toBe(true);
  });
});
