import { describe, expect, it } from 'vitest';

import { parseHeader } from '../io/safetensors/header';
import { toAppError } from '../shared/errors';
import { settingSummary } from './param-notation';
import { hintForSource } from './source-hints';

/** The error the header reader gives for a header that is not JSON. */
function damagedHeaderError() {
  try {
    parseHeader(new TextEncoder().encode('{"not json'), 100, 'model.safetensors');
  } catch (error) {
    return toAppError(error, { model: 'org/model' }).toPayload();
  }
  throw new Error('the header was accepted');
}

describe('hintForSource', () => {
  it('a damaged file read from the Hub points at the repository, a local one at downloading or exporting it again', () => {
    const error = damagedHeaderError();
    expect(error.code).toBe('E_HEADER_NOT_JSON');
    const hub = hintForSource(error, 'hub');
    expect(hub.hint).toContain('on the Hub');
    expect(hub.hint).not.toContain('download or export it again');
    expect(hub.message).toBe(error.message);
    expect(hintForSource(error, 'local').hint).toContain('download or export it again');
  });

  it('leaves other errors as they are', () => {
    const error = { code: 'E_HUB_UNAUTHORIZED' as const, message: 'gated', context: {}, hint: 'Add a token.' };
    expect(hintForSource(error, 'hub')).toBe(error);
  });
});

describe('settingSummary', () => {
  it('summarises lists for narrow places and leaves single values alone', () => {
    expect(settingSummary(0.5)).toBeUndefined();
    expect(settingSummary([0.25, 0.3, 0.5])).toBe('gradient · 3 anchors');
    expect(settingSummary([{ filter: 'self_attn', value: [0, 1] }, { value: 0.5 }])).toBe('2 curves · self_attn, default');
  });
});
