/**
 * `npm run merge -- CONFIG.yml OUT_DIR [--backend auto|cpu|webgpu] [--out-shard-size 5GB] [--format safetensors|gguf|both]
 * [--gguf-type f16|bf16|q8_0|f32] [--gguf-split-size 40GB] [--allow-overwrite] [--dry-run] [--seed N]
 * [--push-to-hub owner/name [--private|--public]]`: the same engine as the studio, headless. Model references are local
 * folders or Hub repo ids (HF_ENDPOINT and HF_TOKEN are honoured). `--push-to-hub` publishes the finished folder with
 * HF_TOKEN (a new repo is private unless `--public`). Progress goes to stderr; an error ends with one line and exit
 * code 1.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

import { AppError, describeError, toAppError } from '../shared/errors';
import { formatBytes, parseByteSize } from '../shared/format';
import { NodeDirectorySink } from '../io/sink/node-directory-sink';
import { PARTIAL_MARKER } from '../io/safetensors/writer';
import type { EngineEvent } from '../engine/api';
import { loadInputs, parsedHeaders } from '../engine/load-inputs';
import { runPlan } from '../engine/run-plan';
import { TOOL_VERSION as VERSION } from '../engine/version';
import { openPlanInput, planGgufForMerge } from '../engine/gguf-output';
import { withGgufInCard } from '../plan/gguf-card';
import { describeGgufExport } from '../io/gguf/export-plan';
import { GGUF_OUTPUT_TYPES, isGgufOutputType } from '../io/gguf/types';
import type { GgufOutputType } from '../io/gguf/types';
import { compilePlan } from '../plan/compile';
import { describePlan, provenanceMetadata } from '../plan/describe';
import { chooseBackend } from './backend-choice';
import { resolveFolder } from './resolve-folder';
import type { BackendKind } from './backend-choice';
import { parseRecipe } from '../recipe/parse';
import { checkPushRequest, pushOutput } from './push';
import type { PushRequest } from './push';

interface Args {
  config: string;
  out: string;
  backend: BackendKind;
  /** CPU worker threads (default: one per core). */
  threads: number | undefined;
  shardBytes: number | undefined;
  allowOverwrite: boolean;
  dryRun: boolean;
  seed: number;
  push: PushRequest | undefined;
  format: 'safetensors' | 'gguf' | 'both';
  ggufType: GgufOutputType;
  ggufSplitBytes: number | undefined;
}

const USAGE =
  'usage: npm run merge -- CONFIG.yml OUT_DIR [--backend auto|cpu|webgpu] [--out-shard-size 5GB] [--format safetensors|gguf|both] [--gguf-type f16|bf16|q8_0|f32] [--gguf-split-size 40GB] [--allow-overwrite] [--dry-run] [--seed N] [--threads N] [--push-to-hub owner/name [--private|--public]]';

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const args: Args = {
    config: '',
    out: '',
    backend: 'auto',
    threads: undefined,
    shardBytes: undefined,
    allowOverwrite: false,
    dryRun: false,
    seed: 0,
    push: undefined,
    format: 'safetensors',
    ggufType: 'f16',
    ggufSplitBytes: undefined,
  };
  let visibility: 'private' | 'public' = 'private';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new AppError('E_RECIPE_INVALID', `${arg} needs a value.`, { hint: USAGE });
      return next;
    };
    /** The option's value as a byte count (`5GB`, `500MB`, `2e9`). */
    const size = (example: string) => {
      const text = value();
      const bytes = parseByteSize(text.replace(/B$/, ''));
      if (bytes === undefined || bytes <= 0) throw new AppError('E_RECIPE_INVALID', `${arg} ${text} is not a size.`, { hint: `For example ${example}.` });
      return bytes;
    };
    if (arg === '--dry-run') args.dryRun = true;
    else if (arg === '--allow-overwrite') args.allowOverwrite = true;
    else if (arg === '--push-to-hub') args.push = { repo: value(), private: true };
    else if (arg === '--private' || arg === '--public') visibility = arg === '--private' ? 'private' : 'public';
    else if (arg === '--threads') {
      const threads = Number(value());
      if (!Number.isInteger(threads) || threads < 1) throw new AppError('E_RECIPE_INVALID', '--threads takes a whole number of at least 1.');
      args.threads = threads;
    } else if (arg === '--backend') {
      const backend = value();
      if (backend !== 'auto' && backend !== 'cpu' && backend !== 'webgpu') throw new AppError('E_RECIPE_INVALID', `Unknown backend ${backend}.`, { hint: 'Use --backend auto, cpu or webgpu.' });
      args.backend = backend;
    } else if (arg === '--out-shard-size') args.shardBytes = size('5GB, 500MB or 2e9');
    else if (arg === '--format') {
      const format = value();
      if (format !== 'safetensors' && format !== 'gguf' && format !== 'both') throw new AppError('E_RECIPE_INVALID', `Unknown format ${format}.`, { hint: 'Use --format safetensors, gguf or both.' });
      args.format = format;
    } else if (arg === '--gguf-type') {
      const type = value();
      if (!isGgufOutputType(type)) throw new AppError('E_RECIPE_INVALID', `Unknown GGUF type ${type}.`, { hint: `Use --gguf-type ${GGUF_OUTPUT_TYPES.join(', ')}.` });
      args.ggufType = type;
    } else if (arg === '--gguf-split-size') args.ggufSplitBytes = size('40GB or 2e9');
    else if (arg === '--seed') args.seed = Number(value());
    else if (arg.startsWith('--')) throw new AppError('E_RECIPE_INVALID', `Unknown option ${arg}.`, { hint: USAGE });
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new AppError('E_RECIPE_INVALID', 'Give a recipe file and an output folder.', { hint: USAGE });
  [args.config, args.out] = positional as [string, string];
  if (args.push !== undefined) args.push = { ...args.push, private: visibility === 'private' };
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.push !== undefined && !args.dryRun) checkPushRequest(args.push);
  const text = await readFile(args.config, 'utf8').catch((cause: unknown) => {
    throw new AppError('E_FILE_MISSING', `Cannot read the recipe ${args.config}.`, { cause, hint: 'Check the path.' });
  });
  const recipe = parseRecipe(text);
  for (const warning of recipe.warnings) process.stderr.write(`warning: ${args.config}:${warning.line}:${warning.column}: ${warning.message}\n`);
  process.stderr.write('Reading model headers…\n');
  const inputs = await loadInputs(recipe, resolveFolder);
  const compiled = compilePlan({
    recipe,
    recipeText: text,
    models: inputs.models,
    adapters: inputs.adapters,
    ...(args.shardBytes === undefined ? {} : { maxShardBytes: args.shardBytes }),
    seed: args.seed,
    outputName: basename(resolve(args.out)),
    toolVersion: `merge-studio ${VERSION}`,
  });
  for (const warning of compiled.warnings) process.stderr.write(`note: ${warning}\n`);
  // The GGUF export is planned (and an unsupported model refused) before any weight moves.
  const gguf =
    args.format === 'safetensors'
      ? undefined
      : await planGgufForMerge(compiled, (input, file) => openPlanInput(inputs.folders, input, file), {
          type: args.ggufType,
          name: basename(resolve(args.out)),
          ...(args.ggufSplitBytes === undefined ? {} : { maxFileBytes: args.ggufSplitBytes }),
        });
  const plan = gguf === undefined ? compiled : withGgufInCard(compiled, gguf);
  if (args.dryRun) {
    process.stdout.write(`${describePlan(plan)}\n`);
    if (gguf !== undefined) process.stdout.write(`${describeGgufExport(gguf)}\n`);
    await Promise.all([...inputs.folders.values()].map((f) => f.close()));
    return;
  }
  const out = await NodeDirectorySink.open(args.out, { create: true });
  const existing = await out.list();
  const resume = existing.includes(PARTIAL_MARKER);
  if (existing.length > 0 && !resume && !args.allowOverwrite) {
    throw new AppError('E_OUTPUT_NOT_EMPTY', `The output folder ${args.out} is not empty.`, { hint: 'Choose an empty folder, or pass --allow-overwrite.' });
  }
  const chosen = await chooseBackend(args.backend, args.threads);
  if (chosen.note !== undefined) process.stderr.write(`note: ${chosen.note}; merging on the ${chosen.label}.\n`);
  if (args.format !== 'gguf') process.stderr.write(`Merging on the ${chosen.label}: ${plan.summary.tensorCount} tensors, ${formatBytes(plan.summary.outputBytes)} in ${plan.summary.shardCount} shard(s).\n`);
  if (gguf !== undefined) process.stderr.write(`${args.format === 'gguf' ? `Merging on the ${chosen.label} into ` : 'And '}${describeGgufExport(gguf)}\n`);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nCancelling… (run the same command again to resume)\n');
    controller.abort();
  });
  try {
    await runPlan(plan, inputs.folders, out, {
      signal: controller.signal,
      resume,
      ...(chosen.executor === undefined ? {} : { executor: chosen.executor }),
      ...(chosen.backend === undefined ? {} : { backend: chosen.backend }),
      identity: {
        toolVersion: VERSION,
        recipeText: text,
        options: {
          'out-shard-size': args.shardBytes ?? null,
          seed: args.seed,
          name: basename(resolve(args.out)),
          format: args.format,
          'gguf-type': args.format === 'safetensors' ? null : args.ggufType,
          'gguf-split-size': args.ggufSplitBytes ?? null,
        },
      },
      inputHeaders: parsedHeaders(inputs),
      onEvent: progressPrinter(args.out, resume),
      metadata: provenanceMetadata(plan, text, VERSION),
      indexMetadata: { mergekit_version: `merge-studio ${VERSION}` },
      ...(gguf === undefined ? {} : { gguf: { plan: gguf, only: args.format === 'gguf' } }),
    });
  } finally {
    await chosen.dispose();
  }
  process.stderr.write(`\nDone: ${args.out}\n`);
  if (args.push !== undefined) await pushOutput(args.out, args.push, controller.signal);
}

function progressPrinter(out: string, resume: boolean): (event: EngineEvent) => void {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return (event) => {
    if (event.type === 'start' && event.restartReasons.length > 0) {
      process.stderr.write(`Starting over in ${out}: its unfinished merge cannot be resumed because\n${event.restartReasons.map((r) => `  - ${r}\n`).join('')}`);
    } else if (event.type === 'start' && resume) {
      process.stderr.write(`Resuming the unfinished merge in ${out}: keeping ${event.resumedShards.length} finished shard(s).\n`);
    } else if (event.type === 'progress') {
      const now = Date.now();
      if (!tty && now - last < 2000 && event.tensorsDone < event.tensorCount) return;
      last = now;
      const eta = event.etaSeconds === undefined ? '' : `, ETA ${Math.ceil(event.etaSeconds)} s`;
      const line = `${event.tensorsDone}/${event.tensorCount} tensors, ${formatBytes(event.bytesDone)} of ${formatBytes(event.bytesTotal)} (${formatBytes(event.bytesPerSecond)}/s${eta})`;
      process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
    } else if (event.type === 'finalizing') {
      process.stderr.write(tty ? '\rFinalizing…\u001b[K' : 'Finalizing…\n');
    }
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`\nerror: ${describeError(toAppError(error))}\n`);
  process.exitCode = 1;
});
