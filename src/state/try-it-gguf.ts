/**
 * Gets a model folder's GGUF into the tab: a `.gguf` already in the folder is used as it is; otherwise the folder (or
 * a parent's source) is converted by the engine in its worker through the identity recipe into Q8_0 parts in the
 * browser's private storage (OPFS), under `try-it/<slot>`, which is emptied first and on {@link dropGguf}.
 */
import { createEngineClient } from '../engine/client';
import type { HubAccess, SourceSpec } from '../engine/api';
import { GGUF_PART_BYTES, ggufParts, identityRecipe } from '../tryit/convert';

const TEMP_ROOT = 'try-it';

async function tempRoot(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(TEMP_ROOT, { create: true });
}

/** `slot`'s temporary folder, emptied. */
async function tempFolder(slot: string): Promise<FileSystemDirectoryHandle> {
  await dropGguf(slot);
  return (await tempRoot()).getDirectoryHandle(slot, { create: true });
}

/** Removes the temporary GGUF of `slot`. */
export async function dropGguf(slot: string): Promise<void> {
  await (await tempRoot()).removeEntry(slot, { recursive: true }).catch(() => undefined);
}

async function filesOf(dir: FileSystemDirectoryHandle, names: readonly string[]): Promise<File[]> {
  return Promise.all(names.map(async (name) => (await dir.getFileHandle(name)).getFile()));
}

/** The GGUF files already in `dir`, in part order (empty when there are none). */
export async function existingGguf(dir: FileSystemDirectoryHandle): Promise<File[]> {
  const names: string[] = [];
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  return filesOf(dir, ggufParts(names));
}

export interface ConvertRequest {
  /** The temporary folder's name (one per loaded model). */
  readonly slot: string;
  /** The model as the recipe names it. */
  readonly model: string;
  /** Where it is read from; undefined: a Hub repo id. */
  readonly source: SourceSpec | undefined;
  readonly hub: HubAccess;
  readonly onProgress: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

/** Converts `model` to Q8_0 GGUF parts in OPFS and returns them in order. */
export async function convertToGguf(request: ConvertRequest): Promise<File[]> {
  const dir = await tempFolder(request.slot);
  const engine = createEngineClient();
  try {
    await engine.run({
      recipeText: identityRecipe(request.model),
      sources: request.source === undefined ? {} : { [request.model]: request.source },
      hub: request.hub,
      output: { name: request.slot, format: 'gguf', ggufType: 'q8_0', ggufSplitBytes: GGUF_PART_BYTES },
      directory: dir,
      resume: false,
      allowOverwrite: true,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
      onEvents: (events) => {
        for (const e of events) if (e.type === 'progress' && e.bytesTotal > 0) request.onProgress(e.bytesDone / e.bytesTotal);
      },
    });
  } finally {
    engine.terminate();
  }
  const files = await existingGguf(dir);
  if (files.length === 0) throw new Error(`No GGUF was written for ${request.model}.`);
  return files;
}
