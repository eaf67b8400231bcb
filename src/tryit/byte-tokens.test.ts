import { describe, expect, it } from 'vitest';

import { relabelByteTokens, TokenTextDecoder } from './byte-tokens';
import { demoMergeGguf } from './demo-gguf.test-support';
import { readGgufVocab } from './gguf-vocab';
import { literalGrammar } from './perplexity';

describe('relabelByteTokens', () => {
  it('makes byte tokens 0x80-0xFF normal in a copy of the header; the given file and every other byte stay as they were', async () => {
    const gguf = await demoMergeGguf('q8_0');
    const original = gguf.slice();
    const vocab = await readGgufVocab(new Blob([gguf as BlobPart]));
    expect(vocab?.model).toBe('llama');
    const out = await relabelByteTokens([new Blob([gguf as BlobPart])]);
    expect(out.files).toHaveLength(1);
    const patched = new Uint8Array(await (out.files[0] as Blob).arrayBuffer());
    expect(patched.byteLength).toBe(gguf.byteLength);
    expect(gguf).toEqual(original);

    const after = await readGgufVocab(new Blob([patched]));
    expect(after?.tokens).toEqual(vocab?.tokens);
    expect(out.bytes.size).toBe(128);
    for (let b = 0; b < 256; b++) {
      const id = vocab?.tokens.indexOf(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
      expect(vocab?.types[id]).toBe(6);
      expect(after?.types[id]).toBe(b >= 0x80 ? 1 : 6);
      if (b >= 0x80) expect(out.bytes.get(id)).toBe(b);
    }
    const changed: number[] = [];
    for (let i = 0; i < gguf.byteLength; i++) if (patched[i] !== gguf[i]) changed.push(i);
    const typesOffset = vocab?.typesOffset ?? 0;
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((i) => i >= typesOffset && i < typesOffset + 4 * (vocab?.tokens.length ?? 0))).toBe(true);
    // '<' is a byte token (<0x3C>) in the demo vocabulary: it could spell a relabelled token's text.
    expect(out.angled).toContain(vocab?.tokens.indexOf('<0x3C>'));
    expect(out.angled).not.toContain(vocab?.tokens.indexOf('<0x80>'));
  });

  it('leaves a file without a token list alone', async () => {
    const header = new Uint8Array(24);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x46554747, true);
    view.setUint32(4, 3, true);
    const file = new Blob([header]);
    const out = await relabelByteTokens([file]);
    expect(out.files[0]).toBe(file);
    expect(out.bytes.size).toBe(0);
  });
});

describe('TokenTextDecoder', () => {
  const bytes = new Map([
    [10, 0xc6],
    [11, 0x88],
  ]);
  it('joins a character split over byte tokens and shows an unfinished one as U+FFFD', () => {
    const decoder = new TokenTextDecoder(bytes);
    expect(decoder.push(10, '<0xC6>')).toBe('');
    expect(decoder.push(11, '<0x88>')).toBe('ƈ');
    expect(decoder.push(5, ' ok')).toBe(' ok');
    expect(decoder.push(10, '<0xC6>')).toBe('');
    expect(decoder.end()).toBe('\uFFFD');
    expect(TokenTextDecoder.spell(bytes, [{ id: 10, text: '' }, { id: 10, text: '' }, { id: 11, text: '' }])).toBe('\uFFFDƈ');
  });
});

describe('literalGrammar with byte tokens', () => {
  it('lets each character outside ASCII be spelled by the byte tokens of its UTF-8', () => {
    expect(literalGrammar('aß "b"', true)).toBe('root ::= "a" ("ß" | "<0xC3><0x9F>") " \\"b\\""');
    expect(literalGrammar('plain', true)).toBe('root ::= "plain"');
  });
});
