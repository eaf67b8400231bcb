import { describe, expect, it } from 'vitest';

import { authHeaders, hubSettings, hubStatusError, normaliseEndpoint, resolveUrl } from './hub-client';
import { hubClientFromEnv } from './node-hub-env';

describe('Hub settings', () => {
  it('reads HF_ENDPOINT and HF_TOKEN from the environment, defaulting to huggingface.co', () => {
    expect(hubClientFromEnv({})).toEqual({ endpoint: 'https://huggingface.co' });
    expect(hubClientFromEnv({ HF_ENDPOINT: 'https://hf-mirror.example/', HF_TOKEN: 'hf_x' })).toEqual({
      endpoint: 'https://hf-mirror.example',
      token: 'hf_x',
    });
    expect(hubClientFromEnv({ HUGGING_FACE_HUB_TOKEN: 'hf_old', HF_ENDPOINT: '' })).toEqual({ endpoint: 'https://huggingface.co', token: 'hf_old' });
  });

  it('normalises endpoints and refuses non-http ones', () => {
    expect(normaliseEndpoint('http://127.0.0.1:5190/')).toBe('http://127.0.0.1:5190');
    expect(normaliseEndpoint('https://mirror.example/hf/')).toBe('https://mirror.example/hf');
    expect(() => normaliseEndpoint('file:///etc')).toThrow(/http or https/);
    expect(() => normaliseEndpoint('huggingface.co')).toThrow(/not a URL/);
  });

  it('attaches the token for the Hub origin only', () => {
    const settings = hubSettings({ endpoint: 'https://huggingface.co', token: 'hf_secret' });
    expect(authHeaders(settings, 'https://huggingface.co/a/b/resolve/main/x')).toEqual({ Authorization: 'Bearer hf_secret' });
    expect(authHeaders(settings, 'https://cdn-lfs.hf.co/a/b')).toEqual({});
    expect(authHeaders(settings, 'https://huggingface.co.evil.example/a')).toEqual({});
    expect(authHeaders(hubSettings({ endpoint: 'https://huggingface.co' }), 'https://huggingface.co/x')).toEqual({});
  });

  it('encodes file paths segment by segment in resolve URLs', () => {
    const settings = hubSettings({ endpoint: 'https://huggingface.co' });
    expect(resolveUrl(settings, 'o/n', 'refs/pr/1', 'sub dir/a#b.json')).toBe('https://huggingface.co/o/n/resolve/refs%2Fpr%2F1/sub%20dir/a%23b.json');
  });

  it('says what each Hub status means', () => {
    const place = { repo: 'o/n', revision: 'main', file: 'model.safetensors' };
    expect(hubStatusError(401, null, place, false).hint).toMatch(/add a Hugging Face access token/);
    expect(hubStatusError(401, null, place, true).hint).toMatch(/your token can read/);
    expect(hubStatusError(403, 'GatedRepo', place, false).code).toBe('E_GATED_REPO');
    expect(hubStatusError(404, 'EntryNotFound', place, false).message).toBe('model.safetensors of o/n does not exist.');
    expect(hubStatusError(404, 'RevisionNotFound', place, false).message).toBe('o/n has no revision main.');
    expect(hubStatusError(404, 'RepoNotFound', { repo: 'o/n' }, true).message).toBe('The repository o/n does not exist on the Hub.');
    expect(hubStatusError(502, null, place, false)).toMatchObject({ code: 'E_HUB_HTTP', context: { status: 502 } });
  });
});
