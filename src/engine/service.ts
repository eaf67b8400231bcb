/**
 * What the engine worker does, without the worker: inspect a model, compile a recipe into a plan overview, and run a
 * plan into an output folder. `engine/worker.ts` exposes these through comlink; tests may call them directly.
 * Sources are Hub repos, picked folders (directory handles) or lists of `File`s; the output is a File System Access
 * or OPFS directory handle.
 */
import { AppError } from '../shared/errors';
import { layerIndexOf } from '../shared/layer-name';
import { folderFromFiles, folderFromHandle } from '../io/model/browser-folder';
import { cachedHubFolder, cachedModel } from '../io/model/hub-cache';
import type { Model, ModelFolder } from '../io/model/types';
import { isFloatDType, numel } from '../io/safetensors/dtype';
import { entryBytes } from '../io/safetensors/layout';
import { PARTIAL_MARKER, readOutputManifest } from '../io/safetensors/writer';
import { FsAccessDirectorySink } from '../io/sink/fs-access-sink';
import { hubSettings } from '../io/source/hub-client';
import type { HubSettings } from '../io/source/hub-client';
import { compilePlan } from '../plan/compile';
import { provenanceMetadata, stageLoraLabels } from '../plan/describe';
import type { MergePlan } from '../plan/types';
import { parseRecipe } from '../recipe/parse';
import type { RecipeDocument } from '../recipe/types';
import type { Backend } from './backend';
import type { TensorExecutor } from './tensor-executor';
import type { EngineEventListener, HubAccess, ModelSummary, OutputFolderState, PlanOverview, PlanRequest, RunOutcome, RunRequest, SourceSpec } from './api';
import { loadInputs, parsedHeaders } from './load-inputs';
import type { LoadedInputs } from './load-inputs';
import { planId, runPlan } from './run-plan';
import { TOOL_VERSION } from './version';
import { openPlanInput, planGgufForMerge } from './gguf-output';
import type { MergeGgufPlan } from './gguf-output';
import type { GgufExportPlan } from '../io/gguf/export-plan';
import { withGgufInCard } from '../plan/gguf-card';

export { TOOL_VERSION };

/**
 * Rough CPU-backend rates for the time estimate: bytes of input read per second, and bytes merged per second (f32
 * working values plus the encoded output). Measured in headless Chromium on a SLERP of two 7 MB bf16 models into
 * OPFS (engine.browser.test.ts): 1.85 s.
 */
const LOCAL_READ_BYTES_PER_SECOND = 400e6;
const HUB_READ_BYTES_PER_SECOND = 40e6;
const CPU_WRITE_BYTES_PER_SECOND = 12e6;
/**
 * Each file written costs a create, a close and a rename whatever its size: about 30–40 ms through OPFS in headless
 * Chromium (a 5 MB merge in 6 shards took 0.3 s into memory and 1.0 s into OPFS). The marker is rewritten per shard.
 */
const SECONDS_PER_FILE = 0.04;

/** Opens a source as a model folder. */
export async function openSource(source: SourceSpec, hub: HubAccess): Promise<ModelFolder> {
  if (source.kind === 'hub') return cachedHubFolder(source.repo, source.revision, toHubSettings(hub));
  if (source.kind === 'directory') return folderFromHandle(source.handle);
  return folderFromFiles(source.files, source.name);
}

function toHubSettings(hub: HubAccess): HubSettings {
  return hubSettings({ endpoint: hub.endpoint, ...(hub.token === undefined || hub.token === '' ? {} : { token: hub.token }) });
}

/** Architecture, layers, parameters, dtype and size of a model (or LoRA adapter), from headers and config only. */
export async function inspectSource(source: SourceSpec, hub: HubAccess, signal?: AbortSignal): Promise<ModelSummary> {
  const folder = await openSource(source, hub);
  try {
    return summarizeModel(await cachedModel(folder, { signal }));
  } finally {
    await folder.close().catch(() => undefined);
  }
}

function summarizeModel(model: Model): ModelSummary {
  const bytesByDtype = new Map<string, number>();
  let params = 0;
  const layerIds = new Set<number>();
  for (const tensor of model.tensors.values()) {
    params += numel(tensor.shape);
    bytesByDtype.set(tensor.dtype, (bytesByDtype.get(tensor.dtype) ?? 0) + tensor.length);
    const layer = layerIndexOf(tensor.name);
    if (layer !== undefined) layerIds.add(layer);
  }
  const dtype = [...bytesByDtype].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'none';
  const config = model.config;
  const architectures = config?.['architectures'];
  const configLayers = config?.['num_hidden_layers'];
  const weightBytes = model.weightFiles.reduce((sum, file) => sum + (model.files.find((f) => f.path === file)?.size ?? 0), 0);
  return {
    ref: model.ref,
    kind: model.folder.kind,
    revision: model.revision,
    architecture: Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : undefined,
    modelType: typeof config?.['model_type'] === 'string' ? config['model_type'] : undefined,
    layers: typeof configLayers === 'number' ? configLayers : layerIds.size,
    params,
    dtype,
    weightBytes,
    tensorCount: model.tensors.size,
    shardCount: model.weightFiles.length,
    isAdapter: model.files.some((f) => f.path === 'adapter_config.json'),
  };
}

interface Compiled {
  readonly plan: MergePlan;
  readonly inputs: LoadedInputs;
  readonly recipeText: string;
  /** The GGUF export, when the output format asks for one. */
  readonly gguf?: { readonly plan: MergeGgufPlan; readonly only: boolean };
}

/** Reads every input's headers and compiles the plan. The caller closes `inputs.folders`. */
async function compileRequest(request: PlanRequest, signal?: AbortSignal): Promise<Compiled> {
  const recipe = withOutputDtype(parseRecipe(request.recipeText), request.output.dtype);
  const inputs = await loadInputs(
    recipe,
    (path, revision) => {
      const source = request.sources[path];
      return openSource(source ?? { kind: 'hub', repo: path, revision }, request.hub);
    },
    signal,
  );
  const plan = compilePlan({
    recipe,
    recipeText: request.recipeText,
    models: inputs.models,
    adapters: inputs.adapters,
    ...(request.output.maxShardBytes === undefined ? {} : { maxShardBytes: request.output.maxShardBytes }),
    seed: request.output.seed ?? 0,
    outputName: request.output.name,
    toolVersion: `merge-studio ${TOOL_VERSION}`,
  });
  const format = request.output.format ?? 'safetensors';
  if (format === 'safetensors') return { plan, inputs, recipeText: request.recipeText };
  const gguf = await planGgufForMerge(plan, (input, file) => openPlanInput(inputs.folders, input, file), {
    type: request.output.ggufType ?? 'f16',
    name: request.output.name,
    ...(request.output.ggufSplitBytes === undefined ? {} : { maxFileBytes: request.output.ggufSplitBytes }),
  });
  return { plan: withGgufInCard(plan, gguf), inputs, recipeText: request.recipeText, gguf: { plan: gguf, only: format === 'gguf' } };
}

/** The recipe with its final output dtype replaced (what mergekit's `out_dtype` does). */
function withOutputDtype(recipe: RecipeDocument, dtype: PlanRequest['output']['dtype']): RecipeDocument {
  if (dtype === undefined) return recipe;
  return { ...recipe, stages: recipe.stages.map((stage, i) => (i === recipe.final ? { ...stage, outDtype: dtype } : stage)) };
}

export async function planRequest(request: PlanRequest, signal?: AbortSignal): Promise<PlanOverview> {
  const { plan, inputs, gguf } = await compileRequest(request, signal);
  await closeAll(inputs);
  return overviewOf(plan, [...inputs.adapters.keys()], gguf);
}

export function overviewOf(plan: MergePlan, adapters: readonly string[] = [], ggufExport?: { readonly plan: GgufExportPlan; readonly only: boolean }): PlanOverview {
  const gguf = ggufExport?.plan;
  const shardBytes = plan.shards.reduce((sum, shard) => sum + shard.bytes, 0);
  // With a GGUF export the output is the GGUF files plus (or, GGUF only, instead of) the shards.
  const s = gguf === undefined ? plan.summary : { ...plan.summary, outputBytes: plan.summary.outputBytes + gguf.bytes - (ggufExport?.only === true ? shardBytes : 0), shardCount: ggufExport?.only === true ? 0 : plan.summary.shardCount };
  const hubBytes = plan.tensors.reduce((sum, t) => sum + hubReadBytes(plan, t.expr), 0);
  const floatOut = plan.tensors.reduce((sum, t) => sum + (isFloatDType(t.dtype) ? numel(t.shape) : 0), 0);
  const files = 2 * plan.shards.length + plan.extraFiles.length + 2;
  const estimatedSeconds =
    hubBytes / HUB_READ_BYTES_PER_SECOND +
    (s.inputBytes - hubBytes) / LOCAL_READ_BYTES_PER_SECOND +
    (s.outputBytes + floatOut * 4) / CPU_WRITE_BYTES_PER_SECOND +
    files * SECONDS_PER_FILE;
  return {
    tensorCount: s.tensorCount,
    shardCount: s.shardCount,
    outputBytes: s.outputBytes,
    inputBytes: s.inputBytes,
    peakMemoryBytes: s.peakMemoryBytes,
    estimatedSeconds,
    shards: ggufExport?.only === true ? [] : plan.shards.map((shard) => ({ file: shard.file, bytes: shard.bytes })),
    tensors: plan.tensors.map((t) => ({ name: t.name, bytes: entryBytes(t) })),
    extraFiles: plan.extraFiles.map((file) => file.name),
    inputs: plan.inputs.map((input) => ({ ref: input.ref, revision: input.revision, kind: input.kind })),
    adapters,
    stageLoras: stageLoraLabels(plan),
    planId: planId(plan),
    ...(gguf === undefined ? {} : { gguf: { type: gguf.type, files: gguf.files.map((f) => ({ file: f.file, bytes: f.bytes })) } }),
  };
}

function hubReadBytes(plan: MergePlan, expr: MergePlan['tensors'][number]['expr']): number {
  if (expr.kind === 'read') return plan.inputs.find((i) => i.key === expr.input)?.kind === 'hub' ? expr.length : 0;
  if (expr.kind === 'lora') return hubReadBytes(plan, expr.weight) + hubReadBytes(plan, expr.a) + hubReadBytes(plan, expr.b);
  return expr.inputs.reduce((sum, input) => sum + hubReadBytes(plan, input), 0);
}

/** Files in an output folder, and whether they are an unfinished merge. */
export async function inspectOutput(directory: FileSystemDirectoryHandle): Promise<OutputFolderState> {
  const sink = new FsAccessDirectorySink(directory);
  const files = await sink.list();
  const manifest = files.includes(PARTIAL_MARKER) ? await readOutputManifest(sink) : undefined;
  return { name: directory.name, files, unfinished: manifest !== undefined, finishedShards: manifest?.finished ?? [] };
}

/**
 * Compiles and runs a merge into `request.directory`. A folder with other files is refused unless `allowOverwrite`;
 * a folder holding an unfinished merge is resumed when `resume` is set (shards of the same plan are kept). The merge
 * math runs on `backend` (default: the engine's CPU backend), or on `executor`'s workers.
 */
export async function runRequest(
  request: RunRequest,
  onEvent: EngineEventListener,
  signal?: AbortSignal,
  backend?: Backend,
  executor?: TensorExecutor,
): Promise<RunOutcome> {
  const state = await inspectOutput(request.directory);
  if (state.files.length > 0 && !(request.resume && state.unfinished) && request.allowOverwrite !== true) {
    throw new AppError(
      'E_OUTPUT_NOT_EMPTY',
      state.unfinished ? `${state.name} holds an unfinished merge.` : `The output folder ${state.name} is not empty (${state.files.length} files).`,
      {
        hint: state.unfinished ? 'Resume it, or choose an empty folder.' : 'Choose an empty folder, or allow overwriting its files.',
      },
    );
  }
  const started = globalThis.performance.now();
  const { plan, inputs, recipeText, gguf } = await compileRequest(request, signal);
  let resumedShards: readonly string[] = [];
  const sink = new FsAccessDirectorySink(request.directory);
  try {
    await runPlan(plan, inputs.folders, sink, {
      ...(signal === undefined ? {} : { signal }),
      ...(backend === undefined ? {} : { backend }),
      ...(executor === undefined ? {} : { executor }),
      resume: request.resume,
      identity: { toolVersion: TOOL_VERSION, recipeText, options: byteOptions(request) },
      inputHeaders: parsedHeaders(inputs),
      metadata: provenanceMetadata(plan, recipeText, TOOL_VERSION),
      indexMetadata: { mergekit_version: `merge-studio ${TOOL_VERSION}` },
      ...(gguf === undefined ? {} : { gguf }),
      onEvent: (event) => {
        if (event.type === 'start') resumedShards = event.resumedShards;
        onEvent(event);
      },
    });
  } finally {
    await closeAll(inputs);
  }
  const files: { name: string; bytes: number }[] = [];
  for (const name of await sink.list()) files.push({ name, bytes: (await (await request.directory.getFileHandle(name)).getFile()).size });
  return { files, seconds: (globalThis.performance.now() - started) / 1000, resumedShards, backend: executor?.label ?? backend?.label ?? 'CPU' };
}

/** The output settings that change bytes, named as the run area names them (for a restart's reason). */
function byteOptions(request: RunRequest): Record<string, string | number | null> {
  const o = request.output;
  return {
    name: o.name,
    dtype: o.dtype ?? null,
    shardSize: o.maxShardBytes ?? null,
    seed: o.seed ?? 0,
    format: o.format ?? 'safetensors',
    ggufType: o.format === undefined || o.format === 'safetensors' ? null : (o.ggufType ?? 'f16'),
    ggufSplit: o.ggufSplitBytes ?? null,
  };
}

async function closeAll(inputs: LoadedInputs): Promise<void> {
  await Promise.all([...inputs.folders.values()].map((f) => f.close().catch(() => undefined)));
}
