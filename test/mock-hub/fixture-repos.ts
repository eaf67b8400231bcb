import { MemoryDirectorySink } from '../../src/io/sink/memory-sink';
import { STANDARD_FIXTURES, writeFixture } from '../fixtures/standard';
import type { MockRepo } from './server';

/** A mock repo whose files are in memory (tests compare against them). */
export type MemoryRepo = Omit<MockRepo, 'files'> & { readonly files: ReadonlyMap<string, Uint8Array> };

/**
 * The standard fixtures as mock-Hub repos (tiny/llama-bf16 with a `dev` branch and a `v1.0` tag), plus a gated and a private copy of the tiny Llama (for the access
 * errors) with made-up popularity figures so search sorting has something to sort.
 */
export async function standardRepos(): Promise<MemoryRepo[]> {
  const repos: MemoryRepo[] = [];
  for (const [i, fixture] of STANDARD_FIXTURES.entries()) {
    const dir = new MemoryDirectorySink();
    await writeFixture(dir, fixture);
    // The tiny Llama has a branch and a tag besides main, for the revision picker.
    const refs = fixture.id === 'tiny/llama-bf16' ? { refs: { branches: ['dev'], tags: ['v1.0'] } } : {};
    repos.push({ id: fixture.id, files: dir.files, downloads: 1000 - i * 10, likes: 10 + i, ...refs });
  }
  const llama = repos.find((r) => r.id === 'tiny/llama-bf16')!;
  repos.push({ id: 'gated/llama-bf16', files: llama.files, gated: true, downloads: 5 });
  repos.push({ id: 'private/llama-bf16', files: llama.files, private: true });
  return repos;
}
