#!/usr/bin/env node
// The one test command (`npm test`): lint, typecheck, unit (Node), browser (Vitest in Chromium) and end-to-end
// (Playwright + Chromium) suites, then one closing line `N passed, N failed` summing every suite.
// On a fresh Debian machine it first installs what the browser suites need (Chromium and the Vulkan loader).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = 'test-results';

ensureSystemPackages();
mkdirSync(RESULTS, { recursive: true });

const suites = [
  { name: 'lint', run: () => check('npx', ['eslint', '--max-warnings=0', '.']) },
  { name: 'typecheck', run: () => check('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) },
  { name: 'unit + browser (vitest)', run: runVitest },
  { name: 'end to end (playwright)', run: runPlaywright },
];

let passed = 0;
let failed = 0;
const lines = [];
for (const suite of suites) {
  const started = Date.now();
  console.log(`\n=== ${suite.name}`);
  const result = suite.run();
  passed += result.passed;
  failed += result.failed;
  lines.push(`${suite.name}: ${result.passed} passed, ${result.failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
console.log('\n=== summary');
for (const line of lines) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

/** A command that is one check: it passes when it exits 0. */
function check(command, args) {
  const status = run(command, args);
  return status === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
}

function runVitest() {
  const report = `${RESULTS}/vitest.json`;
  rmSync(report, { force: true });
  const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
  if (!existsSync(report)) return { passed: 0, failed: 1 };
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const counts = { passed: json.numPassedTests, failed: json.numFailedTests + json.numPendingTests + json.numTodoTests };
  // A suite that fails to load has no tests in the counts: count it as a failure so it cannot hide.
  const brokenFiles = (json.testResults ?? []).filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length;
  counts.failed += brokenFiles;
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

function runPlaywright() {
  const report = `${RESULTS}/e2e.json`;
  rmSync(report, { force: true });
  const status = run('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: report });
  if (!existsSync(report)) return { passed: 0, failed: 1 };
  const stats = JSON.parse(readFileSync(report, 'utf8')).stats;
  const counts = { passed: stats.expected, failed: stats.unexpected + stats.flaky + stats.skipped };
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

/** Chromium (browser and e2e suites) and libvulkan1 (WebGPU in Node through Dawn) come from Debian. */
function ensureSystemPackages() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!hasVulkanLoader()) missing.push('libvulkan1');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    console.error(`Missing system packages: ${missing.join(' ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`Installing ${missing.join(' ')} from Debian…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const status = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env }).status;
  if (status !== 0) process.exit(1);
}

function hasVulkanLoader() {
  return ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some((p) => existsSync(p));
}
