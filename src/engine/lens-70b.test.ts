import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { LLAMA_2_70B, writeSparseModel } from '../../test/fixtures/sparse-model';
import { loadModel } from '../io/model/load-model';
import { openNodeFolder } from '../io/model/node-folder';
import { planLens, runLens } from './lens';
import { lensGrid } from '../methods/lens-grid';

const root = await mkdtemp(join(tmpdir(), 'lens-70b-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('weight lens at 70B shape', () => {
  it('plans and runs fast mode over two sparse Llama-2-70B folders, reading a sample of each large tensor', { timeout: 120_000 }, async () => {
    await writeSparseModel(join(root, 'a'), LLAMA_2_70B);
    await writeSparseModel(join(root, 'b'), LLAMA_2_70B);
    const [a, b] = await Promise.all([loadModel(await openNodeFolder(join(root, 'a'))), loadModel(await openNodeFolder(join(root, 'b')))]);
    try {
      const plan = planLens(a, b, { mode: 'fast' });
      expect(plan.tensors).toHaveLength(3 + 9 * 80);
      expect(plan.skipped).toEqual([]);
      // 8 rows of each of 562 large matrices (plus the small norms whole) from both models: about 0.2 GB of 2 × 138 GB.
      expect(plan.bytesToRead).toBeLessThan(250e6);
      expect(plan.estimatedSeconds).toBeLessThan(5);
      const report = await runLens(plan, a, b);
      expect(report.tensors).toHaveLength(plan.tensors.length);
      // Zero weights: norms 0, and no cosine or relative difference to state.
      expect(report.tensors.every((t) => t.norm_a === 0 && t.cosine === null && t.relative_difference === null)).toBe(true);
      const grid = lensGrid(report);
      expect(grid).toHaveLength(82);
      process.stdout.write(`70B fast lens: ${plan.tensors.length} tensors, ${(plan.bytesToRead / 1e6).toFixed(0)} MB read in ${report.seconds.toFixed(2)} s (estimated ${plan.estimatedSeconds.toFixed(2)} s)\n`);
    } finally {
      await Promise.all([a.folder.close(), b.folder.close()]);
    }
  });
});
