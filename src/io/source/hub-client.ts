import { AppError } from '../../shared/errors';

/** The public Hub. Mirrors and tests use another endpoint (the app's setting, `HF_ENDPOINT` in Node). */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface RetryPolicy {
  /** Attempts after the first one, counted from the last attempt that made progress. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 500, maxDelayMs: 8000 };

/** How to reach the Hub. The token is sent to the endpoint's origin and nowhere else. */
export interface HubSettings {
  readonly endpoint: string;
  readonly token?: string | undefined;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
}

export function hubSettings(settings: Partial<HubSettings> = {}): HubSettings {
  return { ...settings, endpoint: normaliseEndpoint(settings.endpoint ?? DEFAULT_HUB_ENDPOINT) };
}

/** `https://hf-mirror.example/` → `https://hf-mirror.example`; rejects anything that is not http(s). */
export function normaliseEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AppError('E_HUB_HTTP', `The Hub endpoint ${JSON.stringify(endpoint)} is not a URL.`, {
      hint: 'Use a URL such as https://huggingface.co.',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('E_HUB_HTTP', `The Hub endpoint ${endpoint} must use http or https.`, { hint: 'Use a URL such as https://huggingface.co.' });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `Authorization` for `url` only when it is on the Hub's own origin (never for CDNs, mirrors of files, or others). */
export function authHeaders(settings: HubSettings, url: string): Record<string, string> {
  if (settings.token === undefined || settings.token === '') return {};
  return new URL(url).origin === new URL(settings.endpoint).origin ? { Authorization: `Bearer ${settings.token}` } : {};
}

/** `GET {endpoint}/{repo}/resolve/{revision}/{path}` with each path segment encoded. */
export function resolveUrl(settings: HubSettings, repo: string, revision: string, path: string): string {
  const segments = path.split('/').map(encodeURIComponent).join('/');
  return `${settings.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${segments}`;
}

/**
 * When a signed CDN URL stops working, in ms since the epoch: CloudFront-style `Expires` (seconds since the epoch) or
 * S3-style `X-Amz-Date` + `X-Amz-Expires`. `undefined` when the URL says nothing (it is then used until refused).
 */
export function signedUrlExpiry(url: string): number | undefined {
  const params = new URL(url).searchParams;
  const expires = Number(params.get('Expires') ?? Number.NaN);
  if (Number.isFinite(expires) && expires > 0) return expires * 1000;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get('X-Amz-Date') ?? '');
  const seconds = Number(params.get('X-Amz-Expires') ?? Number.NaN);
  if (date === null || !Number.isFinite(seconds)) return undefined;
  const [, y, mo, d, h, mi, se] = date.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se) + seconds * 1000;
}

/** Where a Hub failure happened, for the message. */
export interface HubPlace {
  readonly repo: string;
  readonly revision?: string | undefined;
  readonly file?: string | undefined;
}

/**
 * The Hub's answers in words a user can act on. 401 means private or missing (the Hub does not tell them apart
 * without a token); 403 with `X-Error-Code: GatedRepo` means the terms were not accepted; 404 says which of repo,
 * revision or file is missing.
 */
export function hubStatusError(status: number, errorCode: string | null, place: HubPlace, hasToken: boolean): AppError {
  const context = { model: place.repo, status, ...(place.file === undefined ? {} : { file: place.file }) };
  const what = place.file === undefined ? place.repo : `${place.file} of ${place.repo}`;
  if (status === 401) {
    return new AppError('E_HUB_UNAUTHORIZED', `${place.repo} was not found, or it is private and needs an access token.`, {
      context,
      hint: hasToken
        ? 'Check the repository name, and that your token can read this repository.'
        : 'Check the repository name; if it is private, add a Hugging Face access token in Settings.',
    });
  }
  if (status === 403 && errorCode === 'GatedRepo') {
    return new AppError('E_GATED_REPO', `${place.repo} is gated: its authors require you to accept their terms before download.`, {
      context,
      hint: hasToken
        ? `Accept the terms on the model page (huggingface.co/${place.repo}) with the account your token belongs to, then try again.`
        : `Accept the terms on the model page (huggingface.co/${place.repo}), then add an access token of that account in Settings.`,
    });
  }
  if (status === 403) {
    return new AppError('E_HUB_UNAUTHORIZED', `The Hub refused access to ${what}.`, {
      context,
      hint: 'Check that your access token has read permission for this repository.',
    });
  }
  if (status === 404) {
    const message =
      errorCode === 'RevisionNotFound'
        ? `${place.repo} has no revision ${place.revision ?? ''}.`.replace(' .', '.')
        : errorCode === 'EntryNotFound'
          ? `${what} does not exist.`
          : errorCode === 'RepoNotFound'
            ? `The repository ${place.repo} does not exist on the Hub.`
            : `${what} was not found on the Hub.`;
    return new AppError('E_HUB_NOT_FOUND', message, { context, hint: 'Check the repository name, revision and file.' });
  }
  return new AppError('E_HUB_HTTP', `The Hub answered HTTP ${status} for ${what}.`, {
    context,
    hint: status >= 500 || status === 429 ? 'The Hub is busy or down; try again in a few minutes.' : 'Try again; if it persists, report it.',
  });
}

/** 429 and 5xx are worth retrying; 4xx are answers. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(new AppError('E_CANCELLED', 'Cancelled.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AppError('E_CANCELLED', 'Cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
