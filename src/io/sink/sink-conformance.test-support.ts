/** The behaviour every DirectorySink must have, as tests: run it against each implementation. */
import { describe, expect, it } from 'vitest';

import type { DirectorySink } from './byte-sink';
import { writeWholeFile } from './byte-sink';

const bytes = (...values: number[]) => new Uint8Array(values);

export function describeDirectorySink(label: string, makeSink: () => Promise<DirectorySink>): void {
  describe(`${label} (DirectorySink contract)`, () => {
    it('publishes a multi-chunk file under its name only when it is closed', async () => {
      const dir = await makeSink();
      const file = await dir.createFile('model.safetensors');
      await file.write(bytes(1, 2, 3));
      const reused = bytes(4, 5);
      await file.write(reused);
      reused.fill(9); // the sink must not keep a reference to a written chunk
      expect(file.written).toBe(5);
      expect(await dir.list()).toEqual([]);
      expect(await dir.readFile('model.safetensors')).toBeUndefined();
      await file.close();
      expect(await dir.list()).toEqual(['model.safetensors']);
      expect([...((await dir.readFile('model.safetensors')) ?? [])]).toEqual([1, 2, 3, 4, 5]);
    });

    it('leaves nothing behind when a file is aborted', async () => {
      const dir = await makeSink();
      const file = await dir.createFile('a.bin');
      await file.write(bytes(1));
      await file.abort();
      expect(await dir.list()).toEqual([]);
      expect(await dir.readFile('a.bin')).toBeUndefined();
    });

    it('replaces an existing file, keeping the old content until the new one is closed', async () => {
      const dir = await makeSink();
      await writeWholeFile(dir, 'config.json', bytes(1, 1));
      const file = await dir.createFile('config.json');
      await file.write(bytes(2));
      expect([...((await dir.readFile('config.json')) ?? [])]).toEqual([1, 1]);
      await file.close();
      expect([...((await dir.readFile('config.json')) ?? [])]).toEqual([2]);
      expect(await dir.list()).toEqual(['config.json']);
    });

    it('removes files and ignores removing a missing one', async () => {
      const dir = await makeSink();
      await writeWholeFile(dir, 'x', bytes(1));
      await dir.remove('x');
      await dir.remove('never-there');
      expect(await dir.list()).toEqual([]);
    });

    it('has no temporaries to remove after files were closed or aborted', async () => {
      const dir = await makeSink();
      const a = await dir.createFile('a.bin');
      await a.write(bytes(1));
      await a.abort();
      await writeWholeFile(dir, 'b.bin', bytes(2));
      expect(await dir.removeTemporaries()).toEqual([]);
      expect(await dir.list()).toEqual(['b.bin']);
    });

    it('rejects names that would leave the folder, and writes after close', async () => {
      const dir = await makeSink();
      for (const name of ['../escape', 'a/b', '..', '']) {
        await expect(dir.createFile(name)).rejects.toMatchObject({ code: 'E_SINK_WRITE' });
      }
      const file = await dir.createFile('done');
      await file.close();
      await expect(file.write(bytes(1))).rejects.toMatchObject({ code: 'E_SINK_WRITE' });
    });
  });
}
