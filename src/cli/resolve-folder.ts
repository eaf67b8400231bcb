/**
 * A model reference on the command line → a model folder. Local folders win over Hub ids: an existing directory is
 * local, `owner/name` otherwise goes to the Hub (HF_ENDPOINT and HF_TOKEN are honoured).
 */
import { stat } from 'node:fs/promises';

import { openHubFolder } from '../io/model/hub-folder';
import { openNodeFolder } from '../io/model/node-folder';
import type { ModelFolder } from '../io/model/types';
import { hubSettingsFromEnv } from '../io/source/node-hub-env';

export async function resolveFolder(path: string, revision: string | undefined): Promise<ModelFolder> {
  const local = await stat(path).then((s) => s.isDirectory(), () => false);
  if (local) return openNodeFolder(path);
  return openHubFolder(path, revision, hubSettingsFromEnv());
}
