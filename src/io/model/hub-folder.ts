import { HubApiError, listFiles, modelInfo } from '@huggingface/hub';

import { AppError, isAbortError } from '../../shared/errors';
import type { ModelFileEntry, ModelFolder } from './types';
import { hubStatusError } from '../source/hub-client';
import type { HubSettings } from '../source/hub-client';
import { HubFileSource } from '../source/hub-source';

/** `owner/name`, as the Hub names model repos (no `models/` prefix, no URL). */
const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * A Hub model repo as a {@link ModelFolder}, pinned to one commit: the revision (branch, tag or sha; default `main`)
 * is resolved once through the model-info API, and every read uses the commit sha, so a push during a merge cannot
 * mix two versions of a model.
 */
export async function openHubFolder(repo: string, revision: string | undefined, settings: HubSettings): Promise<ModelFolder> {
  if (!REPO_ID.test(repo)) {
    throw new AppError('E_HUB_NOT_FOUND', `${JSON.stringify(repo)} is not a Hub repository id.`, {
      context: { model: repo },
      hint: 'Use the form owner/name, e.g. mistralai/Mistral-7B-v0.1.',
    });
  }
  const errors = errorCodeRecorder(settings.fetch ?? fetch);
  const common = {
    hubUrl: settings.endpoint,
    ...(settings.token ? { accessToken: settings.token } : {}),
    fetch: errors.fetch,
  };
  const place = { repo, revision, errorCode: errors.last };
  const info = await hubCall(place, settings, () =>
    modelInfo({ name: repo, ...(revision === undefined ? {} : { revision }), additionalFields: ['sha'], ...common }),
  );
  const sha = (info as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
    throw new AppError('E_HUB_BAD_RESPONSE', `The Hub did not say which commit ${repo}@${revision ?? 'main'} is.`, {
      context: { model: repo },
      hint: 'Try again, or pin the revision to a commit sha.',
    });
  }
  const files = await hubCall(place, settings, async () => {
    const entries: ModelFileEntry[] = [];
    for await (const entry of listFiles({ repo: { type: 'model', name: repo }, revision: sha, recursive: true, ...common })) {
      if (entry.type === 'file') entries.push({ path: entry.path, size: entry.size });
    }
    return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  });
  const sizes = new Map(files.map((f) => [f.path, f.size]));
  const sources = new Map<string, HubFileSource>();
  return {
    ref: repo,
    revision: sha,
    kind: 'hub',
    listFiles: () => Promise.resolve(files),
    open: (path) => {
      const size = sizes.get(path);
      if (size === undefined) {
        return Promise.reject(
          new AppError('E_FILE_MISSING', `${repo}@${sha.slice(0, 7)} has no file ${path}.`, {
            context: { model: repo, file: path },
            hint: 'The repository does not contain this file at the pinned revision.',
          }),
        );
      }
      let source = sources.get(path);
      if (source === undefined) {
        source = new HubFileSource(settings, repo, sha, path, size);
        sources.set(path, source);
      }
      return Promise.resolve(source);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * `HubApiError` keeps the status and body but not the headers, so the Hub's `X-Error-Code` (GatedRepo, RepoNotFound,
 * RevisionNotFound, EntryNotFound) is read off the last failed response on the way through.
 */
function errorCodeRecorder(base: typeof fetch): { fetch: typeof fetch; last: () => string | null } {
  let last: string | null = null;
  const recording: typeof fetch = async (input, init) => {
    const response = await base(input, init);
    if (!response.ok) last = response.headers.get('X-Error-Code');
    return response;
  };
  return { fetch: recording, last: () => last };
}

interface HubCallPlace {
  readonly repo: string;
  readonly revision: string | undefined;
  /** The `X-Error-Code` of the last failed response, when the Hub sent (and CORS exposed) one. */
  readonly errorCode: () => string | null;
}

/** Runs a @huggingface/hub call and turns its errors into ours (the token never appears in a message). */
async function hubCall<T>(place: HubCallPlace, settings: HubSettings, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAbortError(error)) throw new AppError('E_CANCELLED', 'Cancelled.', { cause: error });
    if (error instanceof HubApiError) {
      // Without the header (a mirror that does not send it), "Invalid rev id: …" in the body still says which.
      const fromBody = typeof error.data?.['error'] === 'string' && /\brev(ision)?\b/i.test(error.data['error']) ? 'RevisionNotFound' : null;
      throw hubStatusError(error.statusCode, place.errorCode() ?? fromBody, place, settings.token !== undefined);
    }
    throw new AppError('E_NETWORK', `Cannot reach the Hub at ${settings.endpoint} for ${place.repo}.`, {
      context: { model: place.repo },
      hint: 'Check your connection and the Hub endpoint setting.',
      cause: error,
    });
  }
}
