/**
 * The mock Hub's LFS side, as `@huggingface/hub`'s commit code drives it: the batch endpoint on the Hub origin, and
 * "presigned" storage URLs (on the CDN origin when there is one) that take a whole object (basic) or numbered parts
 * plus a completion call (multipart). Storage refuses an `Authorization` header, as presigned S3 URLs do, so a token
 * sent there fails the upload. Objects stay stored after an interrupted upload, so a retry skips them.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { hubError, readBody, send, sha256 } from './http';
import type { Context, Urls } from './types';

const LFS_JSON = 'application/vnd.git-lfs+json';

interface BatchObject {
  readonly oid: string;
  readonly size: number;
}

/** `POST /{repo}.git/info/lfs/objects/batch`: per object, nothing (already stored), basic or multipart upload actions. */
export async function lfsBatch(req: IncomingMessage, res: ServerResponse, ctx: Context, urls: Urls, repo: string): Promise<void> {
  const text = new TextDecoder().decode(await readBody(req));
  ctx.bodies.push(text);
  let body: { operation?: unknown; objects?: unknown; transfers?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return hubError(res, 400, undefined, 'Invalid JSON in LFS batch request');
  }
  if (body.operation !== 'upload' || !Array.isArray(body.objects)) return hubError(res, 400, undefined, 'Expected an upload batch with objects');
  const transfers = Array.isArray(body.transfers) ? (body.transfers as unknown[]) : ['basic'];
  const storage = `${urls.cdnUrl ?? urls.hubUrl}/lfs-storage/${repo}`;
  const objects = (body.objects as unknown[]).map((raw) => {
    const object = raw as Partial<BatchObject>;
    if (typeof object.oid !== 'string' || !/^[0-9a-f]{64}$/.test(object.oid) || !Number.isSafeInteger(object.size) || (object.size ?? -1) < 0) {
      return { oid: String(object.oid), size: object.size, error: { code: 422, message: 'Invalid object id or size' } };
    }
    const { oid, size } = object as BatchObject;
    const stored = ctx.lfs.objects.get(lfsKey(repo, oid));
    if (stored !== undefined && stored.byteLength === size) return { oid, size };
    if (size > ctx.lfs.chunkBytes && transfers.includes('multipart')) {
      const parts = Math.ceil(size / ctx.lfs.chunkBytes);
      ctx.lfs.multipart.set(lfsKey(repo, oid), { size, parts: new Map() });
      const header: Record<string, string> = { chunk_size: String(ctx.lfs.chunkBytes) };
      for (let n = 1; n <= parts; n++) header[String(n).padStart(5, '0')] = `${storage}/${oid}/part/${n}`;
      return { oid, size, authenticated: true, actions: { upload: { href: `${storage}/${oid}/complete`, header } } };
    }
    return { oid, size, authenticated: true, actions: { upload: { href: `${storage}/${oid}` } } };
  });
  send(res, 200, { transfer: 'basic', objects }, LFS_JSON);
}

/** The storage routes (`/lfs-storage/…`); returns false when `path` is not one of them. */
export async function lfsStorage(req: IncomingMessage, res: ServerResponse, path: string, ctx: Context): Promise<boolean> {
  const m = /^\/lfs-storage\/([^/]+\/[^/]+)\/([0-9a-f]{64})(?:\/part\/(\d+)|\/(complete))?$/.exec(path);
  if (!m) return false;
  if (req.headers.authorization !== undefined) {
    hubError(res, 400, 'InvalidArgument', 'Only one auth mechanism allowed: presigned URLs take no Authorization header');
    return true;
  }
  const [, repo, oid, part, complete] = m as unknown as [string, string, string, string | undefined, string | undefined];
  const key = lfsKey(repo, oid);
  if (part !== undefined && req.method === 'PUT') {
    const upload = ctx.lfs.multipart.get(key);
    const bytes = await readBody(req);
    if (upload === undefined) {
      hubError(res, 404, 'NoSuchUpload', 'No multipart upload for this object');
      return true;
    }
    upload.parts.set(Number(part), bytes);
    res.writeHead(200, { ETag: partEtag(bytes), 'Content-Length': '0' }).end();
    return true;
  }
  if (complete !== undefined && req.method === 'POST') {
    completeMultipart(res, repo, oid, new TextDecoder().decode(await readBody(req)), ctx);
    return true;
  }
  if (part === undefined && complete === undefined && req.method === 'PUT') {
    const bytes = await readBody(req);
    if (sha256(bytes) !== oid) {
      hubError(res, 400, 'BadDigest', 'The uploaded bytes do not match the object id');
      return true;
    }
    ctx.lfs.objects.set(key, bytes);
    res.writeHead(200, { ETag: partEtag(bytes), 'Content-Length': '0' }).end();
    return true;
  }
  hubError(res, 405, undefined, `${req.method} not allowed on ${path}`);
  return true;
}

function completeMultipart(res: ServerResponse, repo: string, oid: string, text: string, ctx: Context): void {
  const key = lfsKey(repo, oid);
  const upload = ctx.lfs.multipart.get(key);
  if (upload === undefined) return hubError(res, 404, 'NoSuchUpload', 'No multipart upload for this object');
  let body: { oid?: unknown; parts?: { partNumber: number; etag: string }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return hubError(res, 400, undefined, 'Invalid JSON in completion request');
  }
  const expected = Math.ceil(upload.size / ctx.lfs.chunkBytes);
  if (body.oid !== oid || !Array.isArray(body.parts) || body.parts.length !== expected) {
    return hubError(res, 400, 'InvalidPart', `Expected ${expected} parts for ${oid}`);
  }
  const pieces: Uint8Array[] = [];
  for (const [i, part] of body.parts.entries()) {
    const bytes = upload.parts.get(i + 1);
    if (part.partNumber !== i + 1 || bytes === undefined || part.etag !== partEtag(bytes)) {
      return hubError(res, 400, 'InvalidPart', `Part ${i + 1} of ${oid} is missing or its ETag does not match`);
    }
    pieces.push(bytes);
  }
  const whole = new Uint8Array(Buffer.concat(pieces));
  if (whole.byteLength !== upload.size || sha256(whole) !== oid) return hubError(res, 400, 'BadDigest', 'The assembled object does not match its id and size');
  ctx.lfs.objects.set(key, whole);
  ctx.lfs.multipart.delete(key);
  send(res, 200, {}, LFS_JSON);
}

/** LFS storage is per repo, as on the Hub: an object uploaded to one repo is not "already there" for another. */
export function lfsKey(repo: string, oid: string): string {
  return `${repo}@${oid}`;
}

function partEtag(bytes: Uint8Array): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}
