/**
 * Random-access bytes: a local file, a browser `File`, a Hub file over HTTP Range, or memory. Everything
 * that reads model weights goes through this interface, so parsing and merging never know where bytes live.
 */
export interface ByteSource {
  /** For messages: a path, a repo-relative file name or a URL path. Never contains a token. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Exactly `length` bytes starting at `offset`. Rejects with `E_SHORT_READ` if the source ends early and
   * with `E_CANCELLED` when `signal` aborts. The returned array may be a view into a larger buffer.
   *
   * With `into` (at least `length` bytes, owned by the caller) a source may read into it and return a view of it
   * instead of allocating: streaming loops reuse a few buffers rather than page-faulting fresh ones.
   */
  read(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array): Promise<Uint8Array>;
}
