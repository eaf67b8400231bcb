import type { ModelRef } from './types';

/**
 * Parses mergekit's string form `path[@revision][+lora_path[@revision]]` (mergekit-spec §1.2). Returns a reason
 * string instead of throwing, so the caller can attach the position.
 */
export function parseModelRefString(text: string): ModelRef | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'a model reference cannot be empty';
  const parts = trimmed.split('+');
  if (parts.length > 2) return `${JSON.stringify(text)} has more than one "+": use model+lora`;
  const model = parsePath(parts[0] as string);
  if (typeof model === 'string') return model;
  if (parts.length === 1) return model;
  const lora = parsePath(parts[1] as string);
  if (typeof lora === 'string') return lora;
  return { ...model, lora };
}

function parsePath(text: string): { path: string; revision?: string } | string {
  const pieces = text.split('@');
  if (pieces.length > 2) return `${JSON.stringify(text)} has more than one "@": use path@revision`;
  const [path, revision] = pieces as [string, string | undefined];
  if (path === '') return `${JSON.stringify(text)} has no model path`;
  if (revision === undefined) return { path };
  if (revision === '') return `${JSON.stringify(text)} has an empty revision after "@"`;
  return { path, revision };
}

/** The string form; `overrideArchitecture` has none (export uses the mapping form then). */
export function formatModelRef(ref: ModelRef): string {
  const one = (path: string, revision: string | undefined) => (revision === undefined ? path : `${path}@${revision}`);
  const model = one(ref.path, ref.revision);
  return ref.lora === undefined ? model : `${model}+${one(ref.lora.path, ref.lora.revision)}`;
}

/** Two references name the same input iff every part is equal (mergekit keys tensors by reference). */
export function sameModel(a: ModelRef, b: ModelRef): boolean {
  return formatModelRef(a) === formatModelRef(b) && a.overrideArchitecture === b.overrideArchitecture;
}

/** `model[@rev]+lora[@rev]` → its model part and adapter part (string forms); text that does not parse is all model. */
export function splitLoraRef(text: string): { readonly model: string; readonly lora: string | undefined } {
  const parsed = parseModelRefString(text);
  if (typeof parsed === 'string' || parsed.lora === undefined) return { model: text, lora: undefined };
  const { lora, ...model } = parsed;
  return { model: formatModelRef(model), lora: formatModelRef(lora) };
}

/** The entries of a `models:` list or a slice's `sources:` other than the base: what mergekit counts for a method's arity. */
export function besidesBase<T extends { readonly model: ModelRef }>(entries: readonly T[], base: ModelRef | undefined): T[] {
  return entries.filter((entry) => base === undefined || !sameModel(entry.model, base));
}

/**
 * The stage a reference names, when its path is a stage name and it has no revision: mergekit-multi rewrites the path
 * to that stage's output and keeps the reference's LoRA, which is then baked into the stage's output.
 */
export function stageNameOf(ref: ModelRef, stageNames: { has(name: string): boolean }): string | undefined {
  return ref.revision === undefined && stageNames.has(ref.path) ? ref.path : undefined;
}
