import { describe, expect, it } from 'vitest';

import { fixtureTokenizer } from '../../../test/fixtures/tokenizers';
import { configJson, tokenizerFiles } from '../../../test/fixtures/models';
import { TINY_LLAMA } from '../../../test/fixtures/standard';
import { isAppError } from '../../shared/errors';
import { encodeQ8_0, GgufRowStream, permuteHeadRows } from './encode';
import { planGgufExport } from './export-plan';
import type { GgufExportInputs } from './export-plan';
import { layoutGguf } from './layout';
import { str } from './metadata';
import { modelTensors } from '../../../test/fixtures/models';
import { sentencePieceModel } from '../../../test/fixtures/tokenizers';
import { parseSentencePiece } from './sentencepiece';

describe('Q8_0', () => {
  it('rounds halves away from zero with the f32 scale, and stores the scale as f16', () => {
    // amax 127 gives d = 1 exactly, so every value is its own quantum and ties are visible.
    const values = new Float32Array(32);
    values.set([127, 2.5, -2.5, 0.5, -0.5, 1.49, -126.6, 0]);
    const out = new Uint8Array(34);
    encodeQ8_0(values, out);
    expect(new DataView(out.buffer).getUint16(0, true)).toBe(0x3c00);
    expect([...new Int8Array(out.buffer, 2, 8)]).toEqual([127, 3, -3, 1, -1, 1, -127, 0]);
  });

  it('writes an all-zero block as zero scale and zero quanta', () => {
    const out = new Uint8Array(34).fill(9);
    encodeQ8_0(new Float32Array(32), out);
    expect([...out].every((b) => b === 0)).toBe(true);
  });

  it('keeps every value within half a step of its input', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.3) * (i < 32 ? 0.02 : 3));
    const out = new Uint8Array(68);
    encodeQ8_0(values, out);
    for (let b = 0; b < 2; b++) {
      const view = new DataView(out.buffer, b * 34);
      const d = Math.abs(values.subarray(b * 32, b * 32 + 32).reduce((m, v) => Math.max(m, Math.abs(v)), 0)) / 127;
      for (let j = 0; j < 32; j++) expect(Math.abs(view.getInt8(2 + j) * d - (values[b * 32 + j] as number))).toBeLessThanOrEqual(d / 2 + 1e-6);
    }
  });
});

describe('q/k rows for llama.cpp rope', () => {
  it('interleaves the two halves of each head', () => {
    const rows = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]); // 4 rows of 2 columns, one head
    permuteHeadRows(rows, 4, 2);
    expect([...rows]).toEqual([0, 0, 2, 2, 1, 1, 3, 3]);
  });

  it('gives the same bytes whatever the chunk size', async () => {
    const values = Float32Array.from({ length: 8 * 64 }, (_, i) => Math.cos(i));
    const run = async (chunk: number) => {
      const parts: Uint8Array[] = [];
      const stream = new GgufRowStream({ type: 'Q8_0', count: values.length, cols: 64, rowsPerHead: 4 }, (b) => Promise.resolve(void parts.push(b)));
      for (let i = 0; i < values.length; i += chunk) await stream.push(values.subarray(i, i + chunk));
      return Buffer.concat(parts);
    };
    const whole = await run(values.length);
    expect(whole.byteLength).toBe((values.length / 32) * 34);
    expect((await run(7)).equals(whole)).toBe(true);
    expect((await run(100)).equals(whole)).toBe(true);
  });
});

describe('layout', () => {
  const tensors = [
    { name: 'a', ne: [64, 3], type: 'F16' as const },
    { name: 'b', ne: [5], type: 'F32' as const },
    { name: 'c', ne: [64, 2], type: 'Q8_0' as const },
  ];

  it('aligns the data section and every tensor to 32 bytes', () => {
    const [file] = layoutGguf('m', [{ key: 'general.architecture', value: str('llama') }], tensors);
    expect(file?.file).toBe('m.gguf');
    expect(file!.header.byteLength % 32).toBe(0);
    expect(file!.tensors.map((t) => [t.offset, t.bytes])).toEqual([
      [0, 384],
      [384, 20],
      [416, 136],
    ]);
    expect(file!.bytes).toBe(file!.header.byteLength + 416 + 160);
  });

  it('splits like gguf-split: numbered names, split keys in each part, metadata in the first only', () => {
    const files = layoutGguf('m', [{ key: 'general.architecture', value: str('llama') }], tensors, 400);
    expect(files.map((f) => f.file)).toEqual(['m-00001-of-00002.gguf', 'm-00002-of-00002.gguf']);
    expect(files.map((f) => f.tensors.map((t) => t.name))).toEqual([['a'], ['b', 'c']]);
    const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
    expect(text(files[0]!.header)).toContain('general.architecture');
    expect(text(files[1]!.header)).not.toContain('general.architecture');
    for (const f of files) expect(text(f.header)).toContain('split.tensors.count');
  });

  it('refuses rows that are not whole Q8_0 blocks and over-long names', () => {
    expect(() => layoutGguf('m', [], [{ name: 'x', ne: [48], type: 'Q8_0' }])).toThrow(/multiple of 32/);
    expect(() => layoutGguf('m', [], [{ name: 'x'.repeat(64), ne: [4], type: 'F32' }])).toThrow(/longer than 63/);
  });
});

describe('planGgufExport refuses what it cannot write, before the merge', () => {
  const spec = { ...TINY_LLAMA, vocab: 320, tokenizer: 'llama2' as const };
  const inputs = (patch: Partial<GgufExportInputs> = {}): GgufExportInputs => {
    const files = tokenizerFiles(spec);
    const text = (name: string) => new TextDecoder().decode(files.get(name));
    return {
      prefix: 'm',
      name: 'm',
      type: 'q8_0',
      files: { 'config.json': JSON.stringify(configJson(spec)), 'tokenizer.json': text('tokenizer.json'), 'tokenizer_config.json': text('tokenizer_config.json') },
      tensors: modelTensors(spec),
      parents: [{ ref: 'org/base', hub: true }],
      ...patch,
    };
  };
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return isAppError(error) ? `${error.code}: ${error.message}` : String(error);
    }
    return 'no error';
  };

  it('plans a Llama with a SentencePiece-style tokenizer', () => {
    const plan = planGgufExport(inputs());
    expect(plan.files.map((f) => f.file)).toEqual(['m.gguf']);
    expect(plan.tensors.get('model.layers.0.self_attn.k_proj.weight')).toMatchObject({ name: 'blk.0.attn_k.weight', type: 'Q8_0', rowsPerHead: 16 });
    expect(plan.tensors.get('model.norm.weight')).toMatchObject({ name: 'output_norm.weight', type: 'F32' });
  });

  it('refuses another architecture', () => {
    const config = { ...configJson(spec), architectures: ['Qwen2ForCausalLM'] };
    expect(code(() => planGgufExport(inputs({ files: { ...inputs().files, 'config.json': JSON.stringify(config) } })))).toMatch(/^E_UNSUPPORTED: GGUF export supports LlamaForCausalLM/);
  });

  it('refuses a tokenizer without merges, a Unigram tokenizer and an unknown pre-tokenizer', () => {
    const placeholder = new TextDecoder().decode(tokenizerFiles(TINY_LLAMA).get('tokenizer.json'));
    expect(code(() => planGgufExport(inputs({ files: { ...inputs().files, 'tokenizer.json': placeholder } })))).toMatch(/no merges/);
    const unigram = { model: { type: 'Unigram', vocab: [] } };
    expect(code(() => planGgufExport(inputs({ files: { ...inputs().files, 'tokenizer.json': JSON.stringify(unigram) } })))).toMatch(/Unigram model/);
    const llama3 = fixtureTokenizer('llama3', 320).tokenizer as { pre_tokenizer: unknown };
    const odd = { ...llama3, pre_tokenizer: { type: 'Whitespace' } };
    expect(code(() => planGgufExport(inputs({ files: { ...inputs().files, 'tokenizer.json': JSON.stringify(odd) } })))).toMatch(/pre-tokenizer/);
  });

  it('refuses a tensor the llama mapping does not know and an output without a tokenizer', () => {
    expect(code(() => planGgufExport(inputs({ tensors: [...modelTensors(spec), { name: 'model.extra.weight', shape: [4] }] })))).toMatch(/model\.extra\.weight has no GGUF name/);
    expect(code(() => planGgufExport(inputs({ files: { ...inputs().files, 'tokenizer.json': undefined } })))).toMatch(/neither tokenizer\.json nor tokenizer\.model/);
  });
});

describe('tokenizer.model', () => {
  it('reads pieces, scores, types and add_dummy_prefix', () => {
    const model = parseSentencePiece(sentencePieceModel(320));
    expect(model.addDummyPrefix).toBe(true);
    expect(model.pieces.slice(0, 4)).toEqual([
      { piece: '<unk>', score: 0, type: 2 },
      { piece: '<s>', score: 0, type: 3 },
      { piece: '</s>', score: 0, type: 3 },
      { piece: '<0x00>', score: 0, type: 6 },
    ]);
    expect(model.pieces.some((p) => p.score === -1 && p.type === 1)).toBe(true);
  });

  it('refuses bytes that are not a SentencePiece model', () => {
    expect(() => parseSentencePiece(new TextEncoder().encode('{"not": "protobuf"}'))).toThrow(/not a SentencePiece model/);
    expect(() => parseSentencePiece(sentencePieceModel(320).subarray(0, 50))).toThrow(/not a SentencePiece model/);
  });
});
