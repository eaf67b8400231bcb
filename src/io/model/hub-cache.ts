/**
 * Hub model facts read once per page load (or CLI run): the commit a revision resolves to, the file tree and the
 * parsed headers. Inspecting a model in the studio, planning every edit and running the merge all reach for the same
 * repo; each asks the Hub for model info and the tree, and reads the shard headers, only the first time. The cache
 * lives in the JavaScript realm that holds it (the studio page, the engine worker, the CLI). A failed load is
 * forgotten, so the next call tries again.
 */
import { AppError } from '../../shared/errors';
import type { HubSettings } from '../source/hub-client';
import { openHubFolder } from './hub-folder';
import { loadModel } from './load-model';
import type { Model, ModelFolder } from './types';

const folders = new Map<string, Promise<ModelFolder>>();
const models = new WeakMap<ModelFolder, Promise<Model>>();

/** The Hub folder of `repo@revision` at this endpoint with this token, opened once. */
export function cachedHubFolder(repo: string, revision: string | undefined, settings: HubSettings): Promise<ModelFolder> {
  // The token is part of the key (a repo that failed without one may open with one); the map never leaves memory.
  const key = JSON.stringify([settings.endpoint, settings.token ?? '', repo, revision ?? '']);
  let folder = folders.get(key);
  if (folder === undefined) {
    folder = openHubFolder(repo, revision, settings);
    folders.set(key, folder);
    folder.catch(() => folders.delete(key));
  }
  return folder;
}

/** The model in `folder`, its headers read once per folder object (a Hub folder from {@link cachedHubFolder} is shared). */
export function cachedModel(folder: ModelFolder, options: { signal?: AbortSignal | undefined } = {}): Promise<Model> {
  if (folder.kind !== 'hub') return loadModel(folder, options.signal === undefined ? {} : { signal: options.signal });
  let model = models.get(folder);
  if (model === undefined) {
    // Not tied to one caller's signal: another caller may still want the headers after this one cancels.
    model = loadModel(folder);
    models.set(folder, model);
    model.catch(() => models.delete(folder));
  }
  return untilAborted(model, options.signal);
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new AppError('E_CANCELLED', 'Cancelled.'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
