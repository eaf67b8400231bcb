import { HubApiError } from '@huggingface/hub';

import { AppError, isAbortError, isAppError } from '../../shared/errors';

/** Where a publishing step failed, for the message. */
export interface PublishPlace {
  readonly repo: string;
  readonly endpoint: string;
  readonly step: string;
}

/**
 * A failed publishing step in words a user can act on. Messages come from the Hub's answer, never from request
 * headers, and any copy of the token is masked anyway, so an error can be shown and logged safely.
 */
export function publishError(error: unknown, place: PublishPlace, token: string): AppError {
  if (isAppError(error)) return error;
  if (isAbortError(error)) return new AppError('E_CANCELLED', `Publishing to ${place.repo} was cancelled.`, { hint: 'Publish again to resume: files the Hub already has are not sent twice.' });
  const mask = (text: string) => (token === '' ? text : text.split(token).join('hf_***'));
  const context = { model: place.repo };
  if (error instanceof HubApiError) {
    const said = mask(error.message);
    const status = error.statusCode;
    if (status === 401) {
      return new AppError('E_HUB_UNAUTHORIZED', `The Hub refused the access token while ${place.step} ${place.repo}: ${said}`, {
        context: { ...context, status },
        hint: 'The token has expired or is not valid: sign in again, or paste a fresh token with write access.',
      });
    }
    if (status === 403) {
      return new AppError('E_HUB_UNAUTHORIZED', `The token may not write to ${place.repo}: ${said}`, {
        context: { ...context, status },
        hint: 'Use a token with write access (or sign in with repo permissions), and a namespace you belong to.',
      });
    }
    return new AppError('E_HUB_HTTP', `The Hub answered ${status} while ${place.step} ${place.repo}: ${said}`, {
      context: { ...context, status },
      hint: 'Publish again to resume: files the Hub already has are not sent twice.',
    });
  }
  const said = mask(error instanceof Error ? error.message : String(error)).trim();
  return new AppError('E_NETWORK', `The connection to ${place.endpoint} broke while ${place.step} ${place.repo}${said === '' ? '.' : `: ${said}`}`, {
    context,
    hint: 'Check your connection, then publish again to resume: files the Hub already has are not sent twice.',
  });
}
