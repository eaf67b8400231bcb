/** The bytes of a planned extra file (config.json, tokenizer files, README.md…) as the run writes them. */
import { AppError } from '../shared/errors';
import type { ByteSource } from '../io/source/byte-source';
import type { PlannedFile } from '../plan/types';

export type InputOpener = (input: string, file: string) => Promise<ByteSource>;

/** Copied files' bytes already read (by the GGUF planner), keyed by {@link extraFileKey}: the run writes them as they are. */
export type ReadExtraFiles = ReadonlyMap<string, Uint8Array>;

/** What makes a planned file's bytes: its name, source input and path, and the JSON patch (the whole entry). */
export function extraFileKey(file: PlannedFile): string {
  return JSON.stringify(file);
}

export async function extraFileBytes(file: PlannedFile, open: InputOpener, signal?: AbortSignal, known?: ReadExtraFiles): Promise<Uint8Array> {
  if (file.kind === 'text') return new TextEncoder().encode(file.text);
  const read = known?.get(extraFileKey(file));
  if (read !== undefined) return read;
  const source = await open(file.input, file.path);
  const bytes = await source.read(0, source.size, signal);
  return file.jsonPatch !== undefined ? patchJson(bytes, file.jsonPatch, file.path) : bytes;
}

/** A JSON file with some keys replaced (pretty-printed, like transformers writes it). */
function patchJson(bytes: Uint8Array, patch: Readonly<Record<string, unknown>>, path: string): Uint8Array {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new AppError('E_CONFIG_INVALID', `${path} is not valid JSON, so the recipe's settings cannot be written into it.`, { context: { file: path }, cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new AppError('E_CONFIG_INVALID', `${path} is not a JSON object.`, { context: { file: path } });
  return new TextEncoder().encode(`${JSON.stringify({ ...json, ...patch }, null, 2)}\n`);
}
