/** A model reference on the command line → a model folder (HF_ENDPOINT and HF_TOKEN are honoured for Hub ids). */
import { stat } from 'node:fs/promises';

import { AppError } from '../shared/errors';
import { openHubFolder } from '../io/model/hub-folder';
import { openNodeFolder } from '../io/model/node-folder';
import type { ModelFolder } from '../io/model/types';
import { hubSettingsFromEnv } from '../io/source/node-hub-env';

/** `owner/name` and nothing else can be a Hub repo id; any other reference is a local path. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * Local folders win over Hub ids: an existing directory is local, `owner/name` otherwise goes to the Hub, and any
 * other reference (`./x`, `/abs/path`, `a/b/c`, `C:\x`) is a local folder that must exist.
 */
export async function resolveFolder(path: string, revision: string | undefined): Promise<ModelFolder> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() === true) return openNodeFolder(path);
  if (info !== undefined) {
    throw new AppError('E_FOLDER_MISSING', `The model ${path} is a file, not a folder.`, {
      context: { model: path },
      hint: 'Give the folder that holds config.json and the .safetensors files.',
    });
  }
  if (!HUB_ID.test(path) || path.startsWith('.')) {
    throw new AppError('E_FOLDER_MISSING', `The model folder ${path} does not exist.`, {
      context: { model: path },
      hint: 'Check the path (relative paths start from the current folder), or give a Hub repo id as owner/name.',
    });
  }
  return openHubFolder(path, revision, hubSettingsFromEnv());
}
