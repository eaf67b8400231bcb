import { AppError } from '../../shared/errors';

/** Longer waits than this are not sat out in the middle of a merge: the run stops and says when to try again. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** A `Retry-After` header (delay seconds or an HTTP date) in milliseconds from `now`, or undefined when absent or bad. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names its day and month; `Date.parse` alone would read "-5" as a year.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The Hub rate-limits this client for longer than a run should wait. */
export function rateLimitedError(file: string, context: { model: string; file: string }, waitMs: number): AppError {
  return new AppError('E_HUB_HTTP', `The Hub is rate-limiting downloads of ${file}: it asks to wait ${Math.ceil(waitMs / 1000)} s.`, {
    context: { ...context, status: 429 },
    hint: 'Run again later (finished shards are kept); an access token raises the Hub’s limits.',
  });
}
