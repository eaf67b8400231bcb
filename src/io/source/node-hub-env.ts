import { hubSettings } from './hub-client';
import type { HubSettings } from './hub-client';

/** Hub settings from the environment, as huggingface_hub reads them: `HF_ENDPOINT` and `HF_TOKEN`. */
export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const token = env['HF_TOKEN'] ?? env['HUGGING_FACE_HUB_TOKEN'];
  return hubSettings({
    ...(env['HF_ENDPOINT'] ? { endpoint: env['HF_ENDPOINT'] } : {}),
    ...(token ? { token } : {}),
  });
}
