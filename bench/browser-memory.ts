/**
 * The 7B-shaped two-model SLERP in the studio, as a user runs it: the built app in Debian's Chromium, two local folders
 * of sparse files (real headers, holes for data) picked through the folder input, the recipe typed into the YAML panel,
 * Merge into a folder of the origin private file system. Headless Chromium's adapter is SwiftShader, so the studio runs
 * the merge on its CPU worker pool (a module worker per core), the case issue 12 measures.
 *
 * While it runs, the proportional set size (PSS, so pages shared between Chromium's processes count once) of every
 * Chromium process is sampled: the renderer holds the page, the engine worker and the pool's workers; the browser
 * process serves file reads and OPFS writes. Reported: the renderer's peak, its growth over the idle page, all Chromium
 * processes' peak together, against 2 × the largest tensor + 256 MiB and the plan summary's "Peak memory".
 * BENCH_TRACE=1 prints the renderer's PSS at every sample (to stderr), BENCH_BROWSER_7B_LAYERS sets the depth.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from '@playwright/test';
import type { Page } from '@playwright/test';

import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium';
import { answerPickersWithOpfs, notice } from '../e2e/picked-folder';
import { startWithRunDrawerOpen } from '../e2e/run-drawer';
import { SCALE_TARGETS, peakVerdicts, sparseModel } from './scale';
import type { Row } from './scale';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PORT = Number(process.env['BENCH_APP_PORT'] ?? 4181);
const MB = 1e6;
const OUTPUT = 'bench-output';

interface Sample {
  readonly renderer: number;
  readonly total: number;
  /** PSS by process type (browser, renderer, gpu-process, utility, …) at this instant. */
  readonly byType: Readonly<Record<string, number>>;
}

/** PSS in bytes of `pid` (smaps_rollup), 0 when it has gone. */
function pssOf(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Every process under `root` (itself included), with its command line. */
function processTree(root: number): { pid: number; cmdline: string }[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while the table was read.
    }
  }
  const out: { pid: number; cmdline: string }[] = [];
  const walk = (pid: number) => {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return;
    }
    out.push({ pid, cmdline });
    for (const child of parents.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

function sample(browserPid: number): Sample {
  let renderer = 0;
  let total = 0;
  const byType: Record<string, number> = {};
  for (const { pid, cmdline } of processTree(browserPid)) {
    const pss = pssOf(pid);
    total += pss;
    const type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? (cmdline.includes('chrom') ? 'browser' : 'other');
    byType[type] = (byType[type] ?? 0) + pss;
    if (type === 'renderer') renderer = Math.max(renderer, pss);
  }
  return { renderer, total, byType };
}

function breakdown(byType: Readonly<Record<string, number>>): string {
  return Object.entries(byType)
    .sort((x, y) => y[1] - x[1])
    .map(([type, bytes]) => `${type} ${(bytes / MB).toFixed(0)} MB`)
    .join(', ');
}

async function startPreview(): Promise<ChildProcess> {
  const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr.slice(-1500)}`);
  const preview = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { cwd: ROOT, stdio: 'ignore', detached: true });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/`)).ok) return preview;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`vite preview did not answer on port ${PORT}`);
}

/** The studio with both folders added and the SLERP recipe typed in; returns the plan summary's peak memory in bytes. */
async function prepareStudio(page: Page, folders: readonly string[], names: readonly string[]): Promise<number> {
  await answerPickersWithOpfs(page, OUTPUT);
  await startWithRunDrawerOpen(page);
  await page.goto(`http://127.0.0.1:${PORT}/`);
  await page.getByRole('heading', { name: 'Merge Studio' }).waitFor();
  for (const [i, folder] of folders.entries()) {
    await page.getByTestId('folder-input').setInputFiles(folder);
    await page.getByTestId(`model-item-${names[i]}`).getByText('LlamaForCausalLM').first().waitFor({ timeout: 60_000 });
  }
  const recipe = `merge_method: slerp\nbase_model: ${names[0]}\nmodels:\n  - model: ${names[1]}\nparameters:\n  t: 0.5\ndtype: bfloat16\n`;
  await page.getByRole('textbox', { name: 'Recipe YAML' }).fill(recipe);
  const summary = page.getByTestId('plan-summary');
  await summary.getByText('Peak memory').waitFor({ timeout: 60_000 });
  const text = (await summary.textContent()) ?? '';
  const peak = /Peak memory\s*([\d.]+) (kB|MB|GB)/.exec(text);
  if (peak === null) throw new Error(`no peak memory in the plan summary: ${text}`);
  return Number(peak[1]) * { kB: 1e3, MB: 1e6, GB: 1e9 }[peak[2] as 'kB' | 'MB' | 'GB'];
}

/** The 7B-shaped SLERP in the studio on the CPU worker pool: time and peak memory of Chromium's processes. */
export async function browserMerge7b(root: string): Promise<Row[]> {
  // 8 layers: the largest tensors (embeddings, head) are those of the 32-layer model, the output (3.6 GB) fits the
  // origin's storage quota (10 GiB here) and the case takes minutes, not a quarter of an hour.
  const layers = process.env['BENCH_BROWSER_7B_LAYERS'] ?? '8';
  const names = ['studio-7b-a', 'studio-7b-b'];
  const folders = names.map((name) => join(root, name));
  for (const dir of folders) sparseModel(dir, `${layers} 4096 11008 32 32000 5`);
  const preview = await startPreview();
  // A profile on disk: a fresh (incognito-like) context keeps the origin private file system in the browser process's
  // memory, which would count the written model as memory; a user's profile (and picked folders) write to disk.
  const profile = await mkdtemp(join(tmpdir(), 'bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], viewport: { width: 1280, height: 800 } });
  try {
    const browserPid = processTree(1).find((p) => p.cmdline.includes(profile) && !p.cmdline.includes('--type='))?.pid;
    if (browserPid === undefined) throw new Error('no Chromium process to measure');
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('crash', () => consoleErrors.push('the page crashed'));
    const estimate = await prepareStudio(page, folders, names);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = sample(browserPid);
    let peak: Sample = idle;
    const started = performance.now();
    const timer = setInterval(() => {
      const now = sample(browserPid);
      if (process.env['BENCH_TRACE'] !== undefined) console.error(`${((performance.now() - started) / 1000).toFixed(1)} renderer ${(now.renderer / MB).toFixed(0)}`);
      peak = { renderer: Math.max(peak.renderer, now.renderer), total: Math.max(peak.total, now.total), byType: now.total > peak.total ? now.byType : peak.byType };
    }, 200);
    await page.getByRole('button', { name: 'Choose folder and merge' }).click();
    const merged = notice(page, 'Merged');
    const stopped = notice(page, 'The merge stopped');
    await merged.or(stopped).waitFor({ timeout: Number(process.env['BENCH_BROWSER_TIMEOUT_S'] ?? 1800) * 1000 }).catch(async (error: unknown) => {
      const shot = join(root, 'studio-memory-timeout.png');
      await page.screenshot({ path: shot });
      throw new Error(`the studio's merge did not finish (screenshot ${shot}; run area: ${await page.getByTestId('run-drawer').textContent().catch(() => '?')}; console: ${consoleErrors.join(' | ')})`, { cause: error });
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    if (await stopped.isVisible()) throw new Error(`the studio's merge stopped: ${await stopped.innerText()}`);
    await page.evaluate((output) => navigator.storage.getDirectory().then((dir) => dir.removeEntry(output, { recursive: true })), OUTPUT);
    const inputBytes = 2 * Number(JSON.parse(readFileSync(join(folders[0]!, 'model.safetensors.index.json'), 'utf8')).metadata.total_size);
    const growth = peak.renderer - idle.renderer;
    const verdicts = peakVerdicts(peak.renderer, estimate);
    SCALE_TARGETS.push(`7B-shaped SLERP (${layers} layers) in the studio, CPU worker pool in Chromium: renderer peak ${(peak.renderer / MB).toFixed(0)} MB for 2 × ${(inputBytes / 2e9).toFixed(1)} GB models; ${verdicts}`);
    return [
      [
        `7B-shaped slerp in the studio (${layers} layers, sparse local folders), CPU worker pool in Chromium`,
        (inputBytes / seconds / 1e9).toFixed(3),
        seconds.toFixed(1),
        `${(peak.renderer / MB).toFixed(0)} MB`,
        `renderer (page + engine worker + pool) peak PSS; idle page ${(idle.renderer / MB).toFixed(0)} MB, growth ${(growth / MB).toFixed(0)} MB; ` +
          `${verdicts}; ` +
          `all Chromium processes together ${(peak.total / MB).toFixed(0)} MB (idle ${(idle.total / MB).toFixed(0)} MB; at that peak: ${breakdown(peak.byType)})`,
      ],
    ];
  } finally {
    await context.close();
    if (preview.pid !== undefined) process.kill(-preview.pid);
    await Promise.all([...folders, profile].map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
