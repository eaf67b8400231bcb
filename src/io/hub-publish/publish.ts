/**
 * Publishes an output folder to a Hub model repo with `@huggingface/hub`: checks the token (`whoami-v2`), creates
 * the repo (private unless asked otherwise; an existing repo is fine), then one commit through preupload, LFS batch,
 * basic or multipart transfers and the commit call, with per-file and total progress and cancel. Resume is the LFS
 * protocol's: objects the Hub already stores (finished before an interruption) get no upload action and are not
 * sent again. The token goes only to the Hub endpoint (the library puts it on Hub calls only; LFS storage URLs are
 * presigned) and never into a message.
 */
import { createRepo, uploadFilesWithProgress, whoAmI } from '@huggingface/hub';

import { AppError } from '../../shared/errors';
import type { HubSettings } from '../source/hub-client';
import { ProgressTracker } from './progress';
import type { PublishProgress } from './progress';
import { publishError } from './publish-error';
import { checkRepoId } from './repo-name';

/** One file of the output folder: its name in the repo and its bytes (a lazy `File`/`Blob` where possible). */
export interface PublishFile {
  readonly path: string;
  readonly content: Blob;
}

export interface PublishOptions {
  /** `owner/name`. */
  readonly repo: string;
  /** Visibility for a repo this call creates (default: private). An existing repo keeps its visibility. */
  readonly private?: boolean;
  readonly files: readonly PublishFile[];
  /** Endpoint and token (required: publishing needs write access). */
  readonly hub: HubSettings;
  readonly commitTitle?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PublishProgress) => void;
}

export interface PublishResult {
  readonly repo: string;
  readonly repoUrl: string;
  /** Whether this call created the repo. */
  readonly created: boolean;
  readonly commitOid: string | undefined;
  readonly commitUrl: string | undefined;
  /** Files whose bytes the Hub already had, so none were sent. */
  readonly alreadyStored: readonly string[];
  readonly progress: PublishProgress;
}

export interface HubIdentity {
  readonly name: string;
  /** Namespaces the user may publish to: their own name, then their organisations. */
  readonly namespaces: readonly string[];
}

/** Who the token belongs to (GET `whoami-v2`); a refused or expired token is `E_HUB_UNAUTHORIZED`. */
export async function hubIdentity(hub: HubSettings): Promise<HubIdentity> {
  const token = requireToken(hub);
  try {
    const me = await whoAmI({ accessToken: token, hubUrl: hub.endpoint, ...(hub.fetch === undefined ? {} : { fetch: hub.fetch }) });
    const orgs = 'orgs' in me && Array.isArray(me.orgs) ? me.orgs.map((o) => o.name) : [];
    return { name: me.name, namespaces: [me.name, ...orgs] };
  } catch (error) {
    throw publishError(error, { repo: 'your account', endpoint: hub.endpoint, step: 'checking' }, token);
  }
}

export async function publishFolder(options: PublishOptions): Promise<PublishResult> {
  const { hub, signal } = options;
  const token = requireToken(hub);
  const repo = checkRepoId(options.repo);
  checkFiles(options.files, repo);
  const tracker = new ProgressTracker(options.files.map((f) => ({ path: f.path, size: f.content.size })));
  const report = () => options.onProgress?.(tracker.snapshot());
  const place = (step: string) => ({ repo, endpoint: hub.endpoint, step });
  const common = { accessToken: token, hubUrl: hub.endpoint, ...(hub.fetch === undefined ? {} : { fetch: hub.fetch }) };
  report();

  let created = true;
  let repoUrl = `${hub.endpoint}/${repo}`;
  try {
    signal?.throwIfAborted();
    const made = await createRepo({ ...common, repo: { type: 'model', name: repo }, visibility: options.private === false ? 'public' : 'private' });
    repoUrl = made.repoUrl;
  } catch (error) {
    if (!(typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 409)) throw publishError(error, place('creating'), token);
    created = false;
  }

  try {
    const upload = uploadFilesWithProgress({
      accessToken: token,
      hubUrl: hub.endpoint,
      repo: { type: 'model', name: repo },
      files: options.files.map((f) => ({ path: f.path, content: f.content })),
      commitTitle: options.commitTitle ?? 'Upload merged model (Merge Studio)',
      useWebWorkers: false,
      useXet: false,
      ...(signal === undefined ? {} : { abortSignal: signal }),
    });
    let step = await upload.next();
    while (step.done !== true) {
      tracker.apply(step.value);
      report();
      step = await upload.next();
    }
    tracker.setPhase('done');
    report();
    const progress = tracker.snapshot();
    return {
      repo,
      repoUrl,
      created,
      commitOid: step.value?.commit.oid,
      commitUrl: step.value?.commit.url,
      alreadyStored: progress.files.filter((f) => f.state === 'stored').map((f) => f.path),
      progress,
    };
  } catch (error) {
    throw publishError(error, place('uploading to'), token);
  }
}

function requireToken(hub: HubSettings): string {
  const token = hub.token ?? '';
  if (!token.startsWith('hf_')) {
    throw new AppError('E_HUB_UNAUTHORIZED', token === '' ? 'Publishing needs a Hugging Face access token.' : 'That is not a Hugging Face access token.', {
      hint: 'Sign in with Hugging Face, or paste an access token with write access (it starts with hf_).',
    });
  }
  return token;
}

function checkFiles(files: readonly PublishFile[], repo: string): void {
  if (files.length === 0) throw new AppError('E_NO_WEIGHTS', `There is nothing to publish to ${repo}.`, { hint: 'Run the merge first.' });
  const seen = new Set<string>();
  for (const file of files) {
    if (file.path === '' || file.path.startsWith('/') || file.path.split('/').some((s) => s === '' || s === '.' || s === '..') || seen.has(file.path)) {
      throw new AppError('E_SINK_WRITE', `${JSON.stringify(file.path)} cannot be a file name in ${repo}.`, { context: { file: file.path }, hint: 'Publish a merge output folder as written.' });
    }
    seen.add(file.path);
  }
}
