import { describe, expect, it } from 'vitest';

import { PENDING_RUN_KEY, readPendingRun, savePendingRun } from './pending-run';
import type { KeyValueStorage } from './pending-run';

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

describe('pending run', () => {
  it('keeps the references of local input folders for the resume', () => {
    const storage = new MemoryStorage();
    const run = { recipeText: 'merge_method: linear', output: { name: 'out' }, folderName: 'picked', origin: 'recipe' as const, startedAt: '2026-01-01T00:00:00.000Z', localFolders: ['model-a', 'model-b'] };
    savePendingRun(storage, run);
    expect(readPendingRun(storage)).toEqual(run);
  });

  it('an entry written before local folders were kept reads as none; a malformed one is dropped', () => {
    const storage = new MemoryStorage();
    storage.setItem(PENDING_RUN_KEY, JSON.stringify({ recipeText: 'x', output: { name: 'out' }, folderName: 'picked', origin: 'recipe', startedAt: 't' }));
    expect(readPendingRun(storage)?.localFolders).toEqual([]);
    storage.setItem(PENDING_RUN_KEY, JSON.stringify({ recipeText: 'x', output: { name: 'out' }, folderName: 'picked', origin: 'recipe', localFolders: ['a', 3] }));
    expect(readPendingRun(storage)?.localFolders).toEqual(['a']);
    storage.setItem(PENDING_RUN_KEY, '{not json');
    expect(readPendingRun(storage)).toBeUndefined();
    expect(storage.items.has(PENDING_RUN_KEY)).toBe(false);
  });
});
