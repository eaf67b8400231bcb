import { listModels } from '@huggingface/hub';

import { AppError, isAbortError } from '../../shared/errors';
import type { HubSettings } from './hub-client';

/** One search result: what the picker shows. */
export interface HubModelHit {
  readonly id: string;
  readonly downloads: number;
  readonly likes: number;
  readonly gated: boolean;
}

/**
 * Searches model repos on the configured Hub by name, most downloaded first, keeping repos that ship safetensors
 * (the only weights Merge Studio reads).
 */
export async function searchHubModels(settings: HubSettings, query: string, limit = 20): Promise<HubModelHit[]> {
  const hits: HubModelHit[] = [];
  try {
    for await (const entry of listModels({
      search: { query, tags: ['safetensors'] },
      hubUrl: settings.endpoint,
      sort: 'downloads',
      limit,
      additionalFields: ['tags'],
      ...(settings.token ? { accessToken: settings.token } : {}),
      ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    })) {
      const tags = (entry as { tags?: unknown }).tags;
      if (Array.isArray(tags) && !tags.includes('safetensors')) continue;
      hits.push({ id: entry.name, downloads: entry.downloads, likes: entry.likes, gated: entry.gated !== false });
      if (hits.length >= limit) break;
    }
  } catch (error) {
    if (isAbortError(error)) throw new AppError('E_CANCELLED', 'Cancelled.', { cause: error });
    throw new AppError('E_NETWORK', `Cannot search the Hub at ${settings.endpoint}.`, {
      hint: 'Check your connection and the Hub endpoint setting.',
      cause: error,
    });
  }
  return hits;
}
