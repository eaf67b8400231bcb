import { AppError, isAbortError } from '../../shared/errors';
import type { ByteSource } from './byte-source';
import { DEFAULT_RETRY, authHeaders, backoffDelay, hubStatusError, isRetryableStatus, resolveUrl, signedUrlExpiry, sleep } from './hub-client';
import type { HubSettings } from './hub-client';
import { ReadCoalescer } from './coalesce';
import { checkReadRange } from './read-range';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, rateLimitedError } from './retry-after';
import { droppedReadBuffers } from './young-buffers';

/** A signed CDN URL is used until this long before it expires, then the file is resolved again. */
const EXPIRY_MARGIN_MS = 60_000;
/** What a CDN answers for a signed URL that expired or was revoked. */
const STALE_URL_STATUS: ReadonlySet<number> = new Set([401, 403, 410]);

/**
 * One file of a Hub repo at a pinned commit, read with single HTTP Range requests. A dropped connection or a 5xx is
 * retried with backoff, and the retry asks only for the bytes that did not arrive, so a flaky network costs time, not
 * a restart.
 *
 * The file is resolved once: the first read goes to the Hub's `resolve` URL and follows its redirect to the CDN; the
 * signed CDN URL it lands on is kept, with its expiry, and later reads go straight to it (the real Hub rate-limits
 * `resolve`, and each redirect is a round trip). Reads that start while the first is resolving wait for it. Near its
 * expiry the file is resolved again. One rule covers a stale signed URL, whether it was kept from an earlier read or
 * the Hub's redirect just led to it: a 401/403/410 from it means the signature expired or was revoked, so the URL is
 * forgotten and the file resolved again at once; if the fresh URL is refused too, the attempt failed like a 5xx
 * (retried with backoff, then `E_NETWORK`). The token goes to the Hub origin only
 * (`fetch` drops the `Authorization` header on a cross-origin redirect, and {@link authHeaders} never adds it for
 * another origin). Small reads that arrive together are merged into one request ({@link ReadCoalescer}).
 */
export class HubFileSource implements ByteSource {
  readonly name: string;
  private readonly url: string;
  /** The signed CDN URL the file resolved to, and when it expires (ms since the epoch). */
  private resolved: { readonly url: string; readonly expiresAt: number | undefined } | undefined;
  /** Settles once the read that resolves the file has its answer. */
  private resolving: Promise<void> | undefined;
  /** Small reads issued together are fetched with one request. */
  private readonly coalescer = new ReadCoalescer((offset, length, signal, into) => this.readRange(offset, length, signal, into));

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

  read(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
    try {
      checkReadRange(this, offset, length);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.coalescer.read(offset, length, signal, into);
  }

  /** One range, with retries that ask only for what has not arrived. */
  private async readRange(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array): Promise<Uint8Array> {
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
    let answer = await this.rangeRequest(start, end, received, signal);
    if (answer.staleUrl) {
      // The signed URL expired or was revoked (rangeRequest forgot it): resolve the file again, at once.
      await answer.response.body?.cancel().catch(() => undefined);
      answer = await this.rangeRequest(start, end, received, signal);
    }
    return this.receive(answer, out, offset, received, start, end);
  }

  /**
   * Sends the range request to the resolved CDN URL when there is a fresh one, else to `resolve` (and keeps where it
   * lands). `staleUrl`: a signed URL, kept or just redirected to, refused the request (and is forgotten).
   */
  private async rangeRequest(start: number, end: number, received: number, signal: AbortSignal | undefined): Promise<{ response: Response; staleUrl: boolean }> {
    while (this.resolving !== undefined) await this.resolving;
    const cached = this.resolved !== undefined && (this.resolved.expiresAt === undefined || this.resolved.expiresAt - EXPIRY_MARGIN_MS > Date.now()) ? this.resolved : undefined;
    let settle: (() => void) | undefined;
    if (cached === undefined) {
      this.resolved = undefined;
      this.resolving = new Promise((resolve) => (settle = resolve));
    }
    const target = cached?.url ?? this.url;
    const fetcher = this.settings.fetch ?? fetch;
    try {
      const response = await fetcher(target, {
        headers: { Range: `bytes=${start}-${end}`, ...authHeaders(this.settings, target) },
        ...(signal === undefined ? {} : { signal }),
      });
      const signed = cached !== undefined || (response.redirected && response.url !== '' && response.url !== this.url);
      if (signed && STALE_URL_STATUS.has(response.status)) {
        if (this.resolved === cached) this.resolved = undefined;
        return { response, staleUrl: true };
      }
      if (cached === undefined && signed && response.ok) this.resolved = { url: response.url, expiresAt: signedUrlExpiry(response.url) };
      return { response, staleUrl: false };
    } catch (cause) {
      if (isAbortError(cause)) throw cause;
      throw Object.assign(this.networkError(cause, start), { received });
    } finally {
      if (settle !== undefined) {
        this.resolving = undefined;
        settle();
      }
    }
  }

  private async receive(answer: { response: Response; staleUrl: boolean }, out: Uint8Array, offset: number, received: number, start: number, end: number): Promise<number> {
    const response = answer.response;
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      // A freshly resolved URL refused as well: a failed attempt, retried (through `resolve` again) like a 5xx.
      if (isRetryableStatus(response.status) || answer.staleUrl) {
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
        // Each chunk is garbage once copied.
        droppedReadBuffers(value.byteLength);
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
