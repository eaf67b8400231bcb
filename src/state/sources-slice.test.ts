import { describe, expect, it } from 'vitest';

import type { SourceEntry } from './sources-slice';
import { modelKeyOf, sourceEntryOf } from './sources-slice';

describe('the source behind a reference', () => {
  it('a model+lora reference reads its model (with the revision), a plain one itself', () => {
    expect(modelKeyOf('org/chat+org/adapter')).toBe('org/chat');
    expect(modelKeyOf('org/chat@v2+org/adapter@main')).toBe('org/chat@v2');
    expect(modelKeyOf('demo-llama-chat+demo-llama-lora')).toBe('demo-llama-chat');
    expect(modelKeyOf('org/base@abc')).toBe('org/base@abc');
  });

  it('finds the model entry for a model+lora reference, and an exact entry first', () => {
    const model: SourceEntry = { status: 'loading', kind: 'local' };
    const exact: SourceEntry = { status: 'loading', kind: 'hub' };
    expect(sourceEntryOf({ 'demo-llama-chat': model }, 'demo-llama-chat+demo-llama-lora')).toBe(model);
    expect(sourceEntryOf({ 'demo-llama-chat': model, 'demo-llama-chat+demo-llama-lora': exact }, 'demo-llama-chat+demo-llama-lora')).toBe(exact);
    expect(sourceEntryOf({ 'demo-llama-chat': model }, 'other/model')).toBeUndefined();
  });
});
