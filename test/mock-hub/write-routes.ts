/**
 * The mock Hub's write side on the Hub origin, as `@huggingface/hub` calls it: `whoami-v2`, `repos/create`,
 * `preupload` (which files go through LFS) and the NDJSON `commit`, which checks every LFS pointer against stored
 * objects and applies the files atomically, so they read back through the read side.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { commitSha, hubError, readBody, send } from './http';
import { lfsKey } from './lfs';
import type { Context, RepoState, Urls } from './types';

export const MOCK_USER = 'mock-user';
export const MOCK_ORG = 'mock-org';

const LFS_SUFFIXES = /\.(safetensors|gguf|bin|pt|pth|ckpt|onnx|msgpack|h5|npz|zip|tar|gz)$/;
const REGULAR_LIMIT = 10 * 1024 * 1024;

export function whoAmI(res: ServerResponse, tokenKind: 'oauth' | 'access_token'): void {
  send(res, 200, {
    type: 'user',
    id: '6500000000000000000000aa',
    name: MOCK_USER,
    fullname: 'Mock User',
    email: 'mock@example.invalid',
    isPro: false,
    avatarUrl: '/avatars/mock.svg',
    orgs: [{ type: 'org', id: '6500000000000000000000bb', name: MOCK_ORG, fullname: 'Mock Org', roleInOrg: 'write' }],
    auth: tokenKind === 'oauth' ? { type: 'oauth', expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString() } : { type: 'access_token', accessToken: { displayName: 'mock', role: 'write' } },
  });
}

/** `POST /api/repos/create`: 409 when it exists (with its url), 403 outside the user's namespaces. */
export async function createRepo(req: IncomingMessage, res: ServerResponse, ctx: Context, urls: Urls): Promise<void> {
  const body = await jsonBody(req, res, ctx);
  if (body === undefined) return;
  const name = body['name'];
  const namespace = typeof body['organization'] === 'string' ? body['organization'] : MOCK_USER;
  if (typeof name !== 'string' || !/^[\w.-]{1,96}$/.test(name) || name.startsWith('.')) return hubError(res, 400, undefined, 'Invalid repo name');
  if (body['type'] !== undefined && body['type'] !== 'model') return hubError(res, 400, undefined, 'The mock Hub only creates model repos');
  if (namespace !== MOCK_USER && namespace !== MOCK_ORG) return hubError(res, 403, undefined, `You don't have the rights to create a model under the namespace "${namespace}"`);
  const id = `${namespace}/${name}`;
  const url = `${urls.hubUrl}/${id}`;
  if (ctx.repos.has(id)) return send(res, 409, { error: 'You already created this model repo', url });
  const priv = body['visibility'] === 'private' || body['private'] === true;
  const files = new Map<string, Uint8Array>();
  ctx.repos.set(id, { repo: { id, files, private: priv }, files, sha: commitSha(id, files), lastModified: new Date().toISOString() });
  send(res, 200, { url, name: id, id: commitSha(id, files).slice(0, 24) });
}

/** `POST /api/models/{repo}/preupload/{rev}`: `lfs` for large, binary or weight files, else `regular`. */
export async function preupload(req: IncomingMessage, res: ServerResponse, ctx: Context, state: RepoState): Promise<void> {
  const body = await jsonBody(req, res, ctx);
  if (body === undefined) return;
  const files = body['files'];
  if (!Array.isArray(files)) return hubError(res, 400, undefined, 'Expected files');
  const answer = (files as { path?: unknown; size?: unknown; sample?: unknown }[]).map((file) => {
    const path = String(file.path);
    const sample = typeof file.sample === 'string' ? Buffer.from(file.sample, 'base64') : Buffer.alloc(0);
    const lfs = Number(file.size) > REGULAR_LIMIT || LFS_SUFFIXES.test(path) || sample.includes(0);
    return { path, uploadMode: lfs ? 'lfs' : 'regular', shouldIgnore: false };
  });
  send(res, 200, { files: answer, commitOid: state.sha });
}

type Operation =
  | { readonly key: 'file'; readonly path: string; readonly bytes: Uint8Array }
  | { readonly key: 'lfsFile'; readonly path: string; readonly bytes: Uint8Array }
  | { readonly key: 'deletedFile'; readonly path: string };

/** `POST /api/models/{repo}/commit/{rev}` (NDJSON): all or nothing; an LFS pointer must name a stored object. */
export async function commit(req: IncomingMessage, res: ServerResponse, ctx: Context, state: RepoState, urls: Urls): Promise<void> {
  const text = new TextDecoder().decode(await readBody(req));
  ctx.bodies.push(text);
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const operations: Operation[] = [];
  let summary: unknown;
  for (const [i, line] of lines.entries()) {
    let entry: { key?: unknown; value?: Record<string, unknown> };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return hubError(res, 400, undefined, `Line ${i + 1} of the commit is not JSON`);
    }
    const value = entry.value ?? {};
    if (entry.key === 'header') {
      summary = value['summary'];
      if (typeof value['parentCommit'] === 'string' && value['parentCommit'] !== state.sha) return hubError(res, 412, undefined, 'The parent commit is not the head of the branch');
      continue;
    }
    const path = value['path'];
    if (typeof path !== 'string' || !validPath(path)) return hubError(res, 400, undefined, `Invalid path ${JSON.stringify(path)}`);
    if (entry.key === 'deletedFile') operations.push({ key: 'deletedFile', path });
    else if (entry.key === 'file') {
      if (value['encoding'] !== 'base64' || typeof value['content'] !== 'string') return hubError(res, 400, undefined, `${path}: expected base64 content`);
      operations.push({ key: 'file', path, bytes: new Uint8Array(Buffer.from(value['content'], 'base64')) });
    } else if (entry.key === 'lfsFile') {
      const stored = typeof value['oid'] === 'string' ? ctx.lfs.objects.get(lfsKey(state.repo.id, value['oid'])) : undefined;
      if (value['algo'] !== 'sha256' || stored === undefined || stored.byteLength !== value['size']) {
        return hubError(res, 422, undefined, `Your push was rejected because an LFS pointer (${path}) points to a file that does not exist`);
      }
      operations.push({ key: 'lfsFile', path, bytes: stored });
    } else return hubError(res, 400, undefined, `Unknown operation ${JSON.stringify(entry.key)}`);
  }
  if (typeof summary !== 'string' || summary === '') return hubError(res, 400, undefined, 'A commit needs a summary');
  const files = new Map(state.files);
  const lfsPaths = new Set(state.lfsPaths ?? []);
  for (const op of operations) {
    if (op.key === 'deletedFile') {
      files.delete(op.path);
      lfsPaths.delete(op.path);
      continue;
    }
    files.set(op.path, op.bytes);
    if (op.key === 'lfsFile') lfsPaths.add(op.path);
    else lfsPaths.delete(op.path);
  }
  const id = state.repo.id;
  const sha = commitSha(id, files);
  ctx.repos.set(id, { repo: { ...state.repo, files, sha }, files, sha, lastModified: new Date().toISOString(), lfsPaths });
  send(res, 200, { success: true, commitOid: sha, commitUrl: `${urls.hubUrl}/${id}/commit/${sha}`, commitMessage: summary });
}

function validPath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
}

async function jsonBody(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<Record<string, unknown> | undefined> {
  const text = new TextDecoder().decode(await readBody(req));
  ctx.bodies.push(text);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  hubError(res, 400, undefined, 'Expected a JSON object');
  return undefined;
}
