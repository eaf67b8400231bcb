import { listModels } from '@huggingface/hub';

import { dtypeBits, isDType } from '../safetensors/dtype';
import { AppError, isAbortError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import type { HubSettings } from './hub-client';

/** One search result: what the picker shows. */
export interface HubModelHit {
  readonly id: string;
  readonly downloads: number;
  readonly likes: number;
  readonly gated: boolean;
  /** `config.architectures[0]`, else `model_type`, when the Hub says. */
  readonly architecture: string | undefined;
  /** Parameters in the safetensors weights, when the Hub has counted them. */
  readonly params: number | undefined;
  /** Bytes of those weights, from the parameter count per dtype. */
  readonly sizeBytes: number | undefined;
}

/** Architecture from the Hub's `config` summary (untrusted: anything unexpected reads as unknown). */
function architectureOf(config: unknown): string | undefined {
  if (!isPlainObject(config)) return undefined;
  const list = config['architectures'];
  if (Array.isArray(list) && typeof list[0] === 'string') return list[0];
  return typeof config['model_type'] === 'string' ? config['model_type'] : undefined;
}

/** Parameter count and weight bytes from the Hub's `safetensors` summary (`{ parameters: { BF16: n, … }, total }`). */
function weightsOf(summary: unknown): { params: number | undefined; sizeBytes: number | undefined } {
  if (!isPlainObject(summary) || !isPlainObject(summary['parameters'])) return { params: undefined, sizeBytes: undefined };
  let params = 0;
  let bits = 0;
  for (const [dtype, count] of Object.entries(summary['parameters'])) {
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0 || !isDType(dtype)) return { params: undefined, sizeBytes: undefined };
    params += count;
    bits += count * dtypeBits(dtype);
  }
  return { params, sizeBytes: Math.ceil(bits / 8) };
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
      additionalFields: ['tags', 'config', 'safetensors'],
      ...(settings.token ? { accessToken: settings.token } : {}),
      ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    })) {
      const { tags, config, safetensors } = entry as { tags?: unknown; config?: unknown; safetensors?: unknown };
      if (Array.isArray(tags) && !tags.includes('safetensors')) continue;
      hits.push({ id: entry.name, downloads: entry.downloads, likes: entry.likes, gated: entry.gated !== false, architecture: architectureOf(config), ...weightsOf(safetensors) });
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
