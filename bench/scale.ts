/**
 * Bench cases at scale, measured as a user runs them:
 *
 * - the 70B plan: `npm run merge -- lzlv.yml OUT --dry-run` over three Llama-2-70B-shaped models made of sparse files
 *   (real headers and index, holes for data), start-up included, against the 1 s target;
 * - a 7B-shaped two-model SLERP on the CPU backend with its worker pool (sparse inputs; zeros take SLERP's colinear
 *   path, so the figures are I/O, engine and memory, not kernel speed): time, GB/s, peak resident memory against
 *   2 × the largest tensor + 256 MiB, and the plan's "Peak memory" beside it;
 * - the torch peer (`../shared/perf/peer_slerp.py`, a mergekit-style CPU SLERP) against `npm run merge` on the same
 *   files, alternating, when the system Python has torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { WATCHED, bundledEntry } from '../scripts/bundle-cache.mjs';
import { measure } from './measure';
import type { CaseResult, MeasuredCase } from './measure';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPARSE_MODEL = process.env['BENCH_SPARSE_MODEL'] ?? join(ROOT, '..', 'shared', 'perf', 'sparse_model.py');
const PEER = process.env['BENCH_PEER'] ?? join(ROOT, '..', 'shared', 'perf', 'peer_slerp.py');
const PYTHON = process.env['BENCH_PYTHON'] ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const MB = 1e6;
const MIB = 1024 * 1024;

export type Row = string[];

/** One line per scale target measured in this run (`npm run bench` prints them after the table). */
export const SCALE_TARGETS: string[] = [];

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** The 7B shape's largest tensors (embeddings and head: 32000 × 4096 bf16), and the peak memory they allow. */
const LARGEST_7B = 32000 * 4096 * 2;
const PEAK_LIMIT_7B = 2 * LARGEST_7B + 256 * MIB;

/** A measured 7B peak against its limit, and the plan's "Peak memory" against the peak (±25 %). */
export function peakVerdicts(peakBytes: number, estimateBytes: number): string {
  const agreement = estimateBytes / peakBytes;
  return (
    `limit 2 × ${(LARGEST_7B / MB).toFixed(0)} MB + 256 MiB = ${(PEAK_LIMIT_7B / MB).toFixed(0)} MB: ${verdict(peakBytes <= PEAK_LIMIT_7B)}; ` +
    `plan's "Peak memory" ${(estimateBytes / MB).toFixed(0)} MB = ${(agreement * 100).toFixed(0)} % of measured (±25 %: ${verdict(Math.abs(agreement - 1) <= 0.25)})`
  );
}

/** A command's wall time and peak RSS (through GNU time when present). */
function timed(command: string, args: readonly string[]): { seconds: number; cpuSeconds: number | undefined; peakRssBytes: number | undefined; stdout: string } {
  const gnuTime = existsSync('/usr/bin/time');
  const started = performance.now();
  const result = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M cpu=%U+%S', command, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 * MIB })
    : spawnSync(command, args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 * MIB });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.slice(-1500)}`);
  const rss = /maxrss_kb=(\d+) cpu=([\d.]+)\+([\d.]+)/.exec(result.stderr);
  return {
    seconds,
    cpuSeconds: rss === null ? undefined : Number(rss[2]) + Number(rss[3]),
    peakRssBytes: rss === null ? undefined : Number(rss[1]) * 1024,
    stdout: result.stdout,
  };
}

export function sparseModel(dir: string, shape: string): void {
  const result = spawnSync(PYTHON, [SPARSE_MODEL, dir, ...shape.split(' ')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sparse_model.py failed: ${result.stderr}`);
}

const cli = (args: readonly string[]) => ['scripts/run-cli.mjs', 'merge', ...args];

/** The 70B three-model lzlv plan from headers, start-up included (best of three, after one run that builds the bundle). */
export async function plan70b(root: string): Promise<Row[]> {
  if (!existsSync(SPARSE_MODEL)) return [['70B lzlv plan (--dry-run)', '-', '-', '-', `not run: ${SPARSE_MODEL} is missing`]];
  const dirs = ['a', 'b', 'c'].map((m) => join(root, `70b-${m}`));
  for (const dir of dirs) sparseModel(dir, '80 8192 28672 8 32000 10');
  const recipe = join(root, 'lzlv-70b.yml');
  const stage = (name: string, base: string, other: string, t: string) =>
    `name: ${name}\nmerge_method: slerp\nbase_model: ${base}\nmodels:\n  - model: ${other}\nparameters:\n  t: ${t}\ndtype: bfloat16\n---\n`;
  await writeFile(recipe, `${stage('component-1', dirs[0]!, dirs[1]!, '[0.25, 0.3, 0.5]')}${stage('component-2', dirs[2]!, dirs[0]!, '[0.4, 0.3, 0.25]')}merge_method: slerp\nbase_model: component-1\nmodels:\n  - model: component-2\nparameters:\n  t: 0.5\ndtype: bfloat16\n`);
  const args = cli([recipe, join(root, 'out-70b'), '--dry-run']);
  timed(process.execPath, args); // builds the cached bundle if the sources changed
  const runs = [0, 1, 2].map(() => timed(process.execPath, args));
  const best = runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  const reads = /Reads ([^ ]+ [A-Z]+)/.exec(best.stdout)?.[1] ?? '?';
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  return [['70B lzlv plan (npm run merge --dry-run, start-up included)', '-', best.seconds.toFixed(2), rss(best.peakRssBytes), `3 × 138 GB models, reads ${reads}; CPU time ${best.cpuSeconds?.toFixed(2) ?? '?'} s; target ≤ 1 s: ${best.seconds <= 1 ? 'met' : 'NOT met'}`]];
}

/** A 7B-shaped two-model SLERP on the CPU with its worker pool: time, GB/s, peak memory against the target and the plan. */
export async function merge7b(root: string): Promise<Row[]> {
  if (!existsSync(SPARSE_MODEL)) return [['7B SLERP (sparse inputs)', '-', '-', '-', `not run: ${SPARSE_MODEL} is missing`]];
  const layers = process.env['BENCH_7B_LAYERS'] ?? '32';
  const [a, b] = ['a', 'b'].map((m) => join(root, `7b-${m}`)) as [string, string];
  for (const dir of [a, b]) sparseModel(dir, `${layers} 4096 11008 32 32000 5`);
  const planned = measure('plan', 'merge', { a, b, method: 'slerp', t: 0.5, 'plan-only': 1, to: join(root, 'unused') });
  const estimate = Number(/peak memory estimate (\d+) MB/.exec(planned.note ?? '')?.[1] ?? 0) * MB;
  const merged = await measureBundled(`7B-shaped slerp (${layers} layers, sparse inputs), CPU`, 'merge', { a, b, method: 'slerp', t: 0.5, discard: 1, to: join(root, 'unused') });
  await Promise.all([a, b].map((dir) => rm(dir, { recursive: true, force: true })));
  const gbps = merged.inputBytes / merged.seconds / 1e9;
  const modelGb = (merged.inputBytes / 2 / 1e9).toFixed(1);
  SCALE_TARGETS.push(`7B-shaped SLERP (${layers} layers), CPU worker pool: peak ${rss(merged.peakRssBytes)} for 2 × ${modelGb} GB models; ${peakVerdicts(merged.peakRssBytes, estimate)}`);
  return [
    [
      merged.name,
      gbps.toFixed(3),
      merged.seconds.toFixed(1),
      rss(merged.peakRssBytes),
      `${(merged.inputBytes / 1e9).toFixed(1)} GB in; ${peakVerdicts(merged.peakRssBytes, estimate)}; ${merged.note ?? ''}`,
    ],
  ];
}

/** The torch peer against `npm run merge` on the same files (alternating, best of `repeats` each). */
export async function torchPeer(root: string, mb: number, repeats: number): Promise<Row[]> {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0 || !existsSync(PEER)) return [['torch peer (peer_slerp.py)', '-', '-', '-', `not run: ${PYTHON} has no torch, or ${PEER} is missing`]];
  const a = join(root, 'peer-a');
  const b = join(root, 'peer-b');
  measure('generate', 'generate', { mb, dir: a, single: 1 });
  measure('generate sibling', 'generate-sibling', { mb, dir: b, single: 1 });
  const recipe = join(root, 'peer.yml');
  await writeFile(recipe, `merge_method: slerp\nbase_model: ${a}\nmodels:\n  - model: ${b}\nparameters:\n  t: 0.5\ndtype: bfloat16\n`);
  const out = join(root, 'peer-out');
  const ours: ReturnType<typeof timed>[] = [];
  const theirs: ReturnType<typeof timed>[] = [];
  timed(process.execPath, cli([recipe, join(root, 'warm'), '--backend', 'cpu', '--allow-overwrite'])); // bundle built, page cache warm
  for (let i = 0; i < repeats; i++) {
    await rm(out, { recursive: true, force: true });
    theirs.push(timed(PYTHON, [PEER, a, b, out, '0.5']));
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    ours.push(timed(process.execPath, cli([recipe, out, '--backend', 'cpu', '--allow-overwrite'])));
  }
  await Promise.all([a, b, out, join(root, 'warm')].map((dir) => rm(dir, { recursive: true, force: true })));
  const best = (runs: ReturnType<typeof timed>[]) => runs.reduce((x, y) => (x.seconds <= y.seconds ? x : y));
  const [o, t] = [best(ours), best(theirs)];
  const input = 2 * mb * MB;
  const ratio = t.seconds / o.seconds;
  // CPU time (user + system, all threads) depends less on what else the machine runs than wall time does.
  const cpu = o.cpuSeconds === undefined || t.cpuSeconds === undefined ? '' : `; CPU time ${o.cpuSeconds.toFixed(2)} s vs ${t.cpuSeconds.toFixed(2)} s = ${(t.cpuSeconds / o.cpuSeconds).toFixed(2)}x`;
  SCALE_TARGETS.push(`CPU merge vs the torch peer, 2 × ${mb} MB, best of ${repeats} each: ${o.seconds.toFixed(2)} s vs ${t.seconds.toFixed(2)} s = ${ratio.toFixed(2)}x (target ≥ 2x: ${verdict(ratio >= 2)})${cpu}`);
  return [
    ['torch peer: peer_slerp.py (mergekit-style SLERP), 2 × ' + `${mb} MB`, (input / t.seconds / 1e9).toFixed(3), t.seconds.toFixed(2), rss(t.peakRssBytes), `process start to file written; CPU time ${t.cpuSeconds?.toFixed(2) ?? '?'} s`],
    ['npm run merge --backend cpu, same files', (input / o.seconds / 1e9).toFixed(3), o.seconds.toFixed(2), rss(o.peakRssBytes), `${ratio.toFixed(2)}x the torch peer (target ≥ 2x: ${verdict(ratio >= 2)}); CPU time ${o.cpuSeconds?.toFixed(2) ?? '?'} s`],
  ];
}

/**
 * A bench case run as the CLI runs: from a cached bundle (no TypeScript loader in the process, whose own memory would
 * count against the merge's peak), worker threads from their bundle.
 */
async function measureBundled(name: string, caseName: string, args: Record<string, string | number>): Promise<MeasuredCase> {
  const bundle = await bundledEntry({ root: ROOT, name: 'bench-child', entry: 'bench/child.ts', workers: { 'tensor-worker': 'src/engine/node-tensor-worker.ts' }, watched: [...WATCHED, 'bench', 'test'] });
  const result = spawnSync(process.execPath, [bundle.main, caseName, JSON.stringify(args)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MERGE_STUDIO_WORKER_BUNDLE: bundle.workers['tensor-worker'] },
  });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`bench case ${caseName} failed (exit ${result.status}): ${result.stdout.slice(-2000)}`);
  return { name, ...(JSON.parse(line) as CaseResult & { peakRssBytes: number }) };
}

function rss(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / MB).toFixed(0)} MB`;
}
