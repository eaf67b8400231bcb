import { hubSettings } from './hub-client';
import type { HubSettings } from './hub-client';

/**
 * Hub settings from the environment, as huggingface_hub reads them: `HF_ENDPOINT` (a mirror or the mock Hub) and
 * `HF_TOKEN` (or the older `HUGGING_FACE_HUB_TOKEN`).
 */
export function hubClientFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const token = env['HF_TOKEN'] ?? env['HUGGING_FACE_HUB_TOKEN'];
  return hubSettings({
    ...(env['HF_ENDPOINT'] ? { endpoint: env['HF_ENDPOINT'] } : {}),
    ...(token ? { token } : {}),
  });
}

/** The same as {@link hubClientFromEnv} (the name the CLI imports). */
export const hubSettingsFromEnv = hubClientFromEnv;
