/**
 * Where output goes. A {@link DirectorySink} is the output folder (a Node directory, a File System Access
 * directory handle, an OPFS directory, or memory); each file in it is written through a {@link FileSink}.
 *
 * A file becomes visible under its name only when `close()` succeeds: until then it lives under a temporary
 * name (or in the browser's swap file), so an interrupted run never leaves a complete-looking file behind.
 */
export interface FileSink {
  readonly name: string;
  /** Bytes written so far. */
  readonly written: number;
  /** Appends `chunk`. The caller may reuse `chunk` once the promise resolves. */
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes and publishes the file under its final name. */
  close(): Promise<void>;
  /** Discards everything written; the final name is left untouched. */
  abort(): Promise<void>;
}

export interface DirectorySink {
  /** For messages: the folder's path or name. */
  readonly name: string;
  /** Starts a new file (replacing any file of that name once closed). */
  createFile(name: string): Promise<FileSink>;
  /** Names of the files currently in the folder (not recursive). */
  list(): Promise<string[]>;
  /** The file's content, or `undefined` if there is no such file. For small files (manifests, configs). */
  readFile(name: string): Promise<Uint8Array | undefined>;
  /** Removes a file if it exists. */
  remove(name: string): Promise<void>;
  /**
   * Removes hidden temporaries (`.partial`, `.crswap`) that earlier, interrupted runs left behind; returns their names.
   * Call it only while no file of this folder is being written.
   */
  removeTemporaries(): Promise<string[]>;
}

/** Writes a whole small file (config, index, manifest) in one go. */
export async function writeWholeFile(dir: DirectorySink, name: string, bytes: Uint8Array): Promise<void> {
  const file = await dir.createFile(name);
  try {
    await file.write(bytes);
    await file.close();
  } catch (error) {
    await file.abort().catch(() => undefined);
    throw error;
  }
}
