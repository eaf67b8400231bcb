import { AppError, isAbortError } from '../../shared/errors';
import type { ByteSource } from './byte-source';
import { DEFAULT_RETRY, authHeaders, backoffDelay, hubStatusError, isRetryableStatus, resolveUrl, sleep } from './hub-client';
import type { HubSettings } from './hub-client';
import { checkReadRange } from './read-range';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, rateLimitedError } from './retry-after';

/**
 * One file of a Hub repo at a pinned commit, read with single HTTP Range requests. A dropped connection or a 5xx is
 * retried with backoff, and the retry asks only for the bytes that did not arrive, so a flaky network costs time, not
 * a restart. Reads follow the Hub's redirect to its CDN; the token goes to the Hub origin only (`fetch` drops the
 * `Authorization` header on a cross-origin redirect, and {@link authHeaders} never adds it for another origin).
 */
export class HubFileSource implements ByteSource {
  readonly name: string;
  private readonly url: string;

  constructor(
    private readonly settings: HubSettings,
    private readonly repo: string,
    private readonly revision: string,
    readonly path: string,
    readonly size: number,
  ) {
    this.name = `${repo}/${path}`;
    this.url = resolveUrl(settings, repo, revision, path);
  }

  async read(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    checkReadRange(this, offset, length);
    const out = into !== undefined && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
    if (length === 0) return out;
    const policy = this.settings.retry ?? DEFAULT_RETRY;
    let received = 0;
    let failures = 0;
    for (;;) {
      const before = received;
      let failure: AppError | undefined;
      let retryAfterMs: number | undefined;
      try {
        received = await this.readInto(out, offset, received, signal);
        if (received === length) return out;
        // The body ended early: the connection closed mid-transfer. Retry the rest.
      } catch (error) {
        if (signal?.aborted === true || isAbortError(error)) throw new AppError('E_CANCELLED', 'Cancelled.', { cause: error });
        if (!(error instanceof AppError) || error.code !== 'E_NETWORK') throw error;
        received = (error as { received?: number }).received ?? received;
        retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
        failure = error;
      }
      // Progress resets the count: a slow but moving transfer is never abandoned.
      failures = received > before ? 0 : failures + 1;
      if (failures > policy.retries) throw failure ?? this.networkError(undefined, offset + received);
      // A 429 or 503 may say how long to wait (Retry-After): at least that long, unless it is longer than a run waits.
      if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) throw rateLimitedError(this.name, { model: this.repo, file: this.path }, retryAfterMs);
      await sleep(Math.max(backoffDelay(policy, failures - 1), retryAfterMs ?? 0), signal);
    }
  }

  /** One request for bytes `[offset + received, offset + out.length)`; returns how many bytes of `out` are filled. */
  private async readInto(out: Uint8Array, offset: number, received: number, signal: AbortSignal | undefined): Promise<number> {
    const start = offset + received;
    const end = offset + out.length - 1;
    const fetcher = this.settings.fetch ?? fetch;
    let response: Response;
    try {
      response = await fetcher(this.url, {
        headers: { Range: `bytes=${start}-${end}`, ...authHeaders(this.settings, this.url) },
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (cause) {
      if (isAbortError(cause)) throw cause;
      throw Object.assign(this.networkError(cause, start), { received });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      // A signed CDN URL that expired (403/410 after the Hub's redirect) is retried too: the retry goes through the Hub
      // again and is redirected to a freshly signed URL.
      const expired = response.redirected && (response.status === 403 || response.status === 410);
      if (isRetryableStatus(response.status) || expired) {
        throw Object.assign(this.networkError(undefined, start, response.status), { received, retryAfterMs: parseRetryAfter(response.headers.get('Retry-After')) });
      }
      throw hubStatusError(response.status, response.headers.get('X-Error-Code'), { repo: this.repo, revision: this.revision, file: this.path }, this.settings.token !== undefined);
    }
    this.checkRange(response, start, end);
    const reader = response.body?.getReader();
    if (reader === undefined) throw this.badResponse('the response has no body', start);
    let at = received;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return at;
        if (at + value.byteLength > out.length) throw this.badResponse('the server sent more bytes than asked for', start);
        out.set(value, at);
        at += value.byteLength;
      }
    } catch (cause) {
      if (cause instanceof AppError || isAbortError(cause)) throw cause;
      throw Object.assign(this.networkError(cause, offset + at), { received: at });
    }
  }

  private checkRange(response: Response, start: number, end: number): void {
    if (response.status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('Content-Range') ?? '');
      if (range !== null && (Number(range[1]) !== start || Number(range[2]) !== end)) {
        throw this.badResponse(`asked for bytes ${start}-${end}, got ${range[1]}-${range[2]}`, start);
      }
      return;
    }
    // A 200 carries the whole file: acceptable only when the whole file was asked for.
    if (!(start === 0 && end === this.size - 1)) throw this.badResponse('the server ignored the Range header', start);
  }

  private networkError(cause: unknown, offset: number, status?: number): AppError {
    const reason = status !== undefined ? `HTTP ${status}` : cause instanceof Error ? cause.message : 'connection closed early';
    return new AppError('E_NETWORK', `Downloading ${this.name} failed at byte ${offset} (${reason}).`, {
      context: { model: this.repo, file: this.path, offset, ...(status === undefined ? {} : { status }) },
      hint: 'Check your connection and run again; finished shards are kept.',
      cause,
    });
  }

  private badResponse(what: string, offset: number): AppError {
    return new AppError('E_HUB_BAD_RESPONSE', `Reading ${this.name}: ${what}.`, {
      context: { model: this.repo, file: this.path, offset },
      hint: 'The Hub or mirror answered unexpectedly; try again or use another endpoint.',
    });
  }
}
