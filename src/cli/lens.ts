/**
 * `npm run lens -- MODEL_A MODEL_B [--exact] [--backend auto|cpu|webgpu] [--threads N] [--json OUT.json] [--csv OUT.csv]
 * [--metric NAME] [--nearswap-t T] [--samples N]`: how two models differ, tensor by tensor, printed as a layers × modules
 * table. Models are local folders or Hub repo ids (`owner/name` or `owner/name@revision`; HF_ENDPOINT and HF_TOKEN are
 * honoured). Fast mode (the default) samples row segments and states each estimate's standard error; `--exact` reads
 * every element, reduced on the `--backend` (as for `merge`: `auto` takes a hardware GPU, else the CPU; `cpu` the worker
 * threads, one per core or `--threads`; `webgpu` any adapter, Dawn's SwiftShader included). Progress goes to stderr; an
 * error ends with one line and exit code 1.
 */
import { stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

import { AppError, describeError, toAppError } from '../shared/errors';
import { formatBytes, formatDuration } from '../shared/format';
import { loadModel } from '../io/model/load-model';
import { METRIC_NAMES } from '../methods/lens-stats';
import type { MetricName } from '../methods/lens-stats';
import { DEFAULT_SAMPLES, planLens, runLens } from '../engine/lens';
import { poolLensReducer } from '../engine/lens-reducer';
import { chooseLensReducer } from '../engine/lens-webgpu';
import type { LensBackendKind } from '../engine/lens-webgpu';
import { createNodeWorkerExecutor } from '../engine/node-worker-executor';
import { createNodeGpu, yieldToSoftwareGpu } from '../gpu/node-gpu';
import { nodeShaderLibrary } from '../gpu/node-shaders';
import type { LensMode } from '../methods/lens-report';
import { lensCsv, lensGrid, lensJson, lensTable } from '../methods/lens-grid';
import { resolveFolder } from './resolve-folder';

interface Args {
  a: string;
  b: string;
  mode: LensMode;
  backend: LensBackendKind;
  /** CPU worker threads for exact mode (default: one per core). */
  threads: number | undefined;
  json: string | undefined;
  csv: string | undefined;
  metric: MetricName;
  nearswapT: number | undefined;
  samples: number;
}

const USAGE = 'usage: npm run lens -- MODEL_A MODEL_B [--exact] [--backend auto|cpu|webgpu] [--threads N] [--json OUT.json] [--csv OUT.csv] [--metric cosine|relative_difference|...] [--nearswap-t T] [--samples N]';

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const args: Args = { a: '', b: '', mode: 'fast', backend: 'auto', threads: undefined, json: undefined, csv: undefined, metric: 'relative_difference', nearswapT: undefined, samples: DEFAULT_SAMPLES };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new AppError('E_UNSUPPORTED', `${arg} needs a value.`, { hint: USAGE });
      return next;
    };
    const positiveNumber = (text: string, what: string) => {
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new AppError('E_UNSUPPORTED', `${what} takes a positive number, not ${text}.`, { hint: USAGE });
      return n;
    };
    if (arg === '--exact') args.mode = 'exact';
    else if (arg === '--backend') {
      const kind = value();
      if (kind !== 'auto' && kind !== 'cpu' && kind !== 'webgpu') throw new AppError('E_UNSUPPORTED', `Unknown backend ${kind}.`, { hint: USAGE });
      args.backend = kind;
    } else if (arg === '--threads') {
      const threads = Number(value());
      if (!Number.isInteger(threads) || threads < 1) throw new AppError('E_UNSUPPORTED', '--threads takes a whole number of at least 1.', { hint: USAGE });
      args.threads = threads;
    } else if (arg === '--json') args.json = value();
    else if (arg === '--csv') args.csv = value();
    else if (arg === '--nearswap-t') args.nearswapT = positiveNumber(value(), '--nearswap-t');
    else if (arg === '--samples') {
      const samples = positiveNumber(value(), '--samples');
      if (!Number.isInteger(samples) || samples < 2) throw new AppError('E_UNSUPPORTED', '--samples takes a whole number of at least 2.', { hint: USAGE });
      args.samples = samples;
    } else if (arg === '--metric') {
      const metric = value();
      if (!(METRIC_NAMES as readonly string[]).includes(metric)) throw new AppError('E_UNSUPPORTED', `Unknown metric ${metric}.`, { hint: `One of ${METRIC_NAMES.join(', ')}.` });
      args.metric = metric as MetricName;
    } else if (arg.startsWith('--')) throw new AppError('E_UNSUPPORTED', `Unknown option ${arg}.`, { hint: USAGE });
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new AppError('E_UNSUPPORTED', 'Give two models.', { hint: USAGE });
  [args.a, args.b] = positional as [string, string];
  return args;
}

/** `owner/name@revision` → repo and revision. */
function splitRevision(ref: string): [string, string | undefined] {
  const at = ref.lastIndexOf('@');
  return at > 0 && !ref.slice(at).includes('/') ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
}

async function openModel(ref: string) {
  const local = await stat(ref).then((s) => s.isDirectory(), () => false);
  const [repo, revision] = local ? [ref, undefined] : splitRevision(ref);
  return loadModel(await resolveFolder(repo, revision));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  process.stderr.write('Reading model headers…\n');
  const [a, b] = await Promise.all([openModel(args.a), openModel(args.b)]);
  try {
    const plan = planLens(a, b, { mode: args.mode, samples: args.samples, reduceThreads: args.threads ?? availableParallelism() });
    if (plan.tensors.length === 0) throw new AppError('E_SHAPE_MISMATCH', `${a.ref} and ${b.ref} have no tensor of the same name and shape.`, { hint: 'Compare models of one architecture and size.' });
    for (const skip of plan.skipped.slice(0, 5)) process.stderr.write(`note: ${skip.name} left out: ${skip.reason}\n`);
    if (plan.skipped.length > 5) process.stderr.write(`note: ${plan.skipped.length - 5} more tensors left out\n`);
    const sampling = args.mode === 'fast' ? `, ${args.samples} row segments per large tensor` : '';
    process.stderr.write(`Lens (${args.mode}${sampling}): ${plan.tensors.length} tensors, ${formatBytes(plan.bytesToRead)} to read, about ${formatDuration(plan.estimatedSeconds)}.\n`);
    // Fast mode reduces its few KiB per tensor on this thread: only exact mode opens a GPU or the worker threads.
    const pool = () => {
      const executor = createNodeWorkerExecutor(args.threads === undefined ? {} : { threads: args.threads });
      return { reducer: poolLensReducer(executor), dispose: () => executor.dispose() };
    };
    const chosen = args.mode === 'exact' ? await chooseLensReducer(args.backend, args.backend === 'cpu' ? undefined : createNodeGpu(), nodeShaderLibrary(), pool) : undefined;
    if (chosen?.note !== undefined) process.stderr.write(`note: ${chosen.note}: the CPU reduces the lens.\n`);
    // A software adapter asked for by name: as for a merge (backend-choice.ts), its threads get the cores first.
    if (chosen?.softwareGpu === true) yieldToSoftwareGpu();
    if (args.mode === 'fast' && (args.backend === 'webgpu' || args.threads !== undefined)) process.stderr.write('note: fast mode reduces its samples on the CPU; --backend and --threads apply to --exact.\n');
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    const tty = process.stderr.isTTY === true;
    const report = await runLens(plan, a, b, {
      signal: controller.signal,
      nearswapT: args.nearswapT,
      reducer: chosen?.reducer,
      onEvent: (event) => {
        if (event.type === 'progress' && tty) process.stderr.write(`\r${event.tensorsDone}/${event.tensorCount} tensors\u001b[K`);
      },
    }).finally(() => chosen?.dispose());
    process.stderr.write(`${tty ? '\r\u001b[K' : ''}Done in ${report.seconds.toFixed(2)} s on the ${report.backend}.\n`);
    process.stdout.write(`${args.metric} of ${a.ref} → ${b.ref} (${args.mode})\n${lensTable(lensGrid(report), args.metric)}\n`);
    if (args.mode === 'fast') {
      const worst = Math.max(0, ...report.tensors.map((t) => t.standard_error[args.metric] ?? 0));
      process.stdout.write(`largest standard error of ${args.metric} per tensor: ${worst.toExponential(2)}\n`);
    }
    if (args.json !== undefined) await writeFile(args.json, lensJson(report));
    if (args.csv !== undefined) await writeFile(args.csv, lensCsv(report));
  } finally {
    await Promise.all([a.folder.close(), b.folder.close()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nerror: ${describeError(toAppError(error))}\n`);
  process.exitCode = 1;
});
