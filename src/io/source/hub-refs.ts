/** The branches and tags of a Hub repo: what the revision picker offers. */
import { AppError, isAbortError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import { authHeaders, hubStatusError } from './hub-client';
import type { HubSettings } from './hub-client';

/** A branch or tag and the commit it points at. */
export interface HubRef {
  readonly name: string;
  readonly kind: 'branch' | 'tag';
  readonly commit: string;
}

/** Lists `repo`'s branches (main first) then tags, from `GET {endpoint}/api/models/{repo}/refs`. */
export async function listHubRefs(settings: HubSettings, repo: string, signal?: AbortSignal): Promise<HubRef[]> {
  const url = `${settings.endpoint}/api/models/${repo.split('/').map(encodeURIComponent).join('/')}/refs`;
  let response: Response;
  try {
    response = await (settings.fetch ?? fetch)(url, { headers: { accept: 'application/json', ...authHeaders(settings, url) }, ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    if (isAbortError(error)) throw new AppError('E_CANCELLED', 'Cancelled.', { cause: error });
    throw new AppError('E_NETWORK', `Cannot reach the Hub at ${settings.endpoint}.`, { context: { model: repo }, hint: 'Check your connection and the Hub endpoint setting.', cause: error });
  }
  if (!response.ok) throw hubStatusError(response.status, response.headers.get('X-Error-Code'), { repo }, settings.token !== undefined && settings.token !== '');
  const bad = (cause?: unknown) => new AppError('E_HUB_BAD_RESPONSE', `The Hub's list of branches and tags of ${repo} is not what it should be.`, { context: { model: repo }, cause });
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw bad(cause);
  }
  if (!isPlainObject(body)) throw bad();
  const refs = (key: 'branches' | 'tags', kind: HubRef['kind']): HubRef[] => {
    const list = body[key] ?? [];
    if (!Array.isArray(list)) throw bad();
    return list.map((entry: unknown) => {
      if (!isPlainObject(entry) || typeof entry['name'] !== 'string' || typeof entry['targetCommit'] !== 'string' || !/^[0-9a-f]{40}$/.test(entry['targetCommit'])) throw bad();
      return { name: entry['name'], kind, commit: entry['targetCommit'] };
    });
  };
  const branches = refs('branches', 'branch').sort((a, b) => Number(b.name === 'main') - Number(a.name === 'main'));
  return [...branches, ...refs('tags', 'tag')];
}
