/**
 * What an output folder's shards were computed from: every input file the plan reads (size, modification time where
 * the folder knows it, and a SHA-256 of each safetensors header; Hub inputs by commit sha), the recipe, the options
 * that change bytes, the tool version and the plan itself. A resume keeps finished shards only when the fingerprint
 * stored in the folder's manifest equals the new run's; {@link fingerprintChanges} says in words what differs.
 */
import { sha256Hex } from '../shared/digest';
import { isPlainObject } from '../shared/json';
import type { ModelFolder } from '../io/model/types';
import type { SafetensorsHeader } from '../io/safetensors/types';
import type { MergePlan, TensorExpr } from '../plan/types';

export interface InputFileFingerprint {
  readonly path: string;
  readonly size: number;
  /** Local files: last modification time in ms, when the folder knows it. */
  readonly modified?: number;
  /** `.safetensors` files of local inputs: SHA-256 of the 8-byte length and the header JSON. */
  readonly header?: string;
}

export interface InputFingerprint {
  readonly ref: string;
  readonly kind: 'hub' | 'local';
  /** Hub: the commit sha every read was pinned to. */
  readonly revision?: string;
  readonly files: readonly InputFileFingerprint[];
}

export interface RunFingerprint {
  readonly version: 1;
  readonly tool: string;
  /** SHA-256 of the recipe text. */
  readonly recipe: string;
  /** The options that change bytes, as given (shard size, seed, dtype, name…): stored in clear so a change is named. */
  readonly options: Readonly<Record<string, string | number | boolean | null>>;
  /** SHA-256 of the plan's tensors, shards and extra files, and of the shards' metadata. */
  readonly plan: string;
  /** By plan input key, in plan order. */
  readonly inputs: Readonly<Record<string, InputFingerprint>>;
}

/** What the caller knows beyond the plan: the tool version, the recipe as written, and the byte-changing options. */
export interface RunIdentity {
  readonly toolVersion: string;
  readonly recipeText: string;
  readonly options?: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

/** Headers the loader parsed, by plan input key and weight file (see `parsedHeaders` in `load-inputs.ts`). */
export type InputHeaders = ReadonlyMap<string, ReadonlyMap<string, SafetensorsHeader>>;

/**
 * The run's fingerprint. A local header's digest comes from `headers` when the loader hashed it as it read it (a
 * header the loader did not see is read and hashed here).
 */
export async function fingerprintRun(
  plan: MergePlan,
  folders: ReadonlyMap<string, ModelFolder>,
  identity: RunIdentity,
  extra: unknown,
  signal?: AbortSignal,
  headers?: InputHeaders,
): Promise<RunFingerprint> {
  const read = filesReadPerInput(plan);
  const inputs: Record<string, InputFingerprint> = {};
  // Models, and LoRA adapters (which the plan reads from but does not list as inputs).
  const keys = [...new Set([...plan.inputs.map((i) => i.key), ...read.keys()])];
  for (const key of keys) {
    const folder = folders.get(key);
    const input = plan.inputs.find((i) => i.key === key) ?? { ref: folder?.ref ?? key, kind: folder?.kind ?? 'local', revision: folder?.revision };
    const wanted = read.get(key) ?? new Set<string>();
    const listed = folder === undefined ? [] : (await folder.listFiles()).filter((f) => wanted.has(f.path));
    const files: InputFileFingerprint[] = [];
    for (const file of listed) {
      const local = input.kind === 'local' && folder !== undefined && file.path.endsWith('.safetensors');
      files.push({
        path: file.path,
        size: file.size,
        ...(file.modified === undefined ? {} : { modified: file.modified }),
        ...(local ? { header: headers?.get(key)?.get(file.path)?.digest ?? (await headerDigest(folder, file.path, signal)) } : {}),
      });
    }
    inputs[key] = { ref: input.ref, kind: input.kind, ...(input.revision === undefined ? {} : { revision: input.revision }), files };
  }
  const options = Object.fromEntries(Object.entries(identity.options ?? {}).filter((e): e is [string, string | number | boolean | null] => e[1] !== undefined));
  return {
    version: 1,
    tool: identity.toolVersion,
    recipe: await sha256Hex(new TextEncoder().encode(identity.recipeText)),
    options,
    plan: await sha256Hex(new TextEncoder().encode(JSON.stringify({ tensors: plan.tensors, shards: plan.shards, extraFiles: plan.extraFiles, extra }))),
    inputs,
  };
}

/**
 * Why shards written under `before` cannot be kept for a run with `after`, one line per difference (empty when they
 * match exactly). `before` is whatever the folder's manifest held, so it is validated here.
 */
export function fingerprintChanges(before: unknown, after: RunFingerprint): string[] {
  if (!isPlainObject(before) || before['version'] !== after.version) return ['the unfinished output has no input fingerprint (an older version wrote it)'];
  const old = before as unknown as RunFingerprint;
  const changes: string[] = [];
  const oldInputs = isPlainObject(old.inputs) ? (old.inputs as Record<string, InputFingerprint>) : {};
  for (const [key, input] of Object.entries(after.inputs)) {
    const was = oldInputs[key];
    if (was === undefined) {
      changes.push(`model ${input.ref} is a new input`);
      continue;
    }
    if (was.revision !== input.revision) changes.push(`model ${input.ref}: revision ${short(was.revision)} → ${short(input.revision)}`);
    const oldFiles = new Map((Array.isArray(was.files) ? was.files : []).map((f) => [f.path, f]));
    for (const file of input.files) {
      const prior = oldFiles.get(file.path);
      const what =
        prior === undefined
          ? 'is new'
          : prior.size !== file.size
            ? `changed (size ${prior.size} → ${file.size} bytes)`
            : prior.header !== file.header
              ? 'changed (its header differs)'
              : prior.modified !== file.modified
                ? 'changed (modified since)'
                : undefined;
      if (what !== undefined) changes.push(`model ${input.ref}: ${file.path} ${what}`);
      oldFiles.delete(file.path);
    }
    for (const path of oldFiles.keys()) changes.push(`model ${input.ref}: ${path} is no longer read`);
  }
  for (const [key, input] of Object.entries(oldInputs)) if (!(key in after.inputs)) changes.push(`model ${input.ref ?? key} is no longer an input`);
  if (old.recipe !== after.recipe) changes.push('the recipe changed');
  const oldOptions = isPlainObject(old.options) ? old.options : {};
  for (const name of [...new Set([...Object.keys(oldOptions), ...Object.keys(after.options)])].sort()) {
    if (oldOptions[name] !== after.options[name]) changes.push(`option ${name} changed (${shown(oldOptions, name)} → ${shown(after.options, name)})`);
  }
  if (old.tool !== after.tool) changes.push(`the tool version changed (${String(old.tool)} → ${after.tool})`);
  if (changes.length === 0 && old.plan !== after.plan) changes.push('the merge plan changed');
  return changes;
}

/** Weight, config and copied files each input contributes to the output. */
function filesReadPerInput(plan: MergePlan): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (input: string, file: string) => {
    let set = out.get(input);
    if (set === undefined) out.set(input, (set = new Set()));
    set.add(file);
  };
  const visit = (expr: TensorExpr): void => {
    if (expr.kind === 'read') add(expr.input, expr.file);
    else if (expr.kind === 'lora') [expr.weight, expr.a, expr.b].forEach(visit);
    else expr.inputs.forEach(visit);
  };
  for (const tensor of plan.tensors) visit(tensor.expr);
  for (const file of plan.extraFiles) if (file.kind === 'copy') add(file.input, file.path);
  // Every input's config.json was read to plan the merge (architecture checks, the output's config); an adapter's
  // adapter_config.json gives its rank, alpha and targets.
  for (const input of plan.inputs) add(input.key, 'config.json');
  for (const key of out.keys()) add(key, 'adapter_config.json');
  return out;
}

async function headerDigest(folder: ModelFolder, path: string, signal: AbortSignal | undefined): Promise<string> {
  const source = await folder.open(path);
  if (source.size < 8) return sha256Hex(await source.read(0, source.size, signal));
  const prefix = await source.read(0, 8, signal);
  const length = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  return sha256Hex(await source.read(0, Math.min(source.size, 8 + length), signal));
}

function shown(options: Readonly<Record<string, unknown>>, name: string): string {
  return Object.hasOwn(options, name) ? String(options[name]) : 'unset';
}

function short(revision: string | undefined): string {
  return revision === undefined ? 'none' : revision.slice(0, 12);
}
