/**
 * Bench plumbing: each case runs in a fresh Node process so its peak resident memory (maxRSS) is its own, and the
 * parent prints cases side by side. A case module exports `run(args): Promise<CaseResult>`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CaseResult {
  /** Bytes of input the case processed (for GB/s). */
  readonly inputBytes: number;
  readonly seconds: number;
  /** Anything else worth printing. */
  readonly note?: string;
}

export interface MeasuredCase extends CaseResult {
  readonly name: string;
  /** Peak resident set size of the case's process, bytes. */
  readonly peakRssBytes: number;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Runs `caseName` from bench/cases.ts in a child process and returns its figures. */
export function measure(name: string, caseName: string, args: Record<string, string | number>): MeasuredCase {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CHILD, caseName, JSON.stringify(args)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) {
    throw new Error(`bench case ${caseName} failed (exit ${result.status}): ${result.stdout.slice(-2000)}`);
  }
  const parsed = JSON.parse(line) as CaseResult & { peakRssBytes: number };
  return { name, ...parsed };
}
