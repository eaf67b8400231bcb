import { describe, expect, it } from 'vitest';

import type { AppError } from '../../shared/errors';
import { BlobSource } from './blob-source';

/** 3000 bytes that differ from their neighbours, so an off-by-one read shows. */
const BYTES = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 251);

async function opfsFile(name: string, bytes: Uint8Array): Promise<FileSystemFileHandle> {
  const root = await navigator.storage.getDirectory();
  const handle = await root.getFileHandle(`${name}-${Date.now()}`, { create: true });
  const writable = await handle.createWritable();
  await writable.write(bytes as Uint8Array<ArrayBuffer>);
  await writable.close();
  return handle;
}

describe('BlobSource (real Chromium)', () => {
  it('reads exact ranges of a File', async () => {
    const source = new BlobSource('model.safetensors', new File([BYTES], 'model.safetensors'));
    expect(source.size).toBe(BYTES.byteLength);
    for (const [offset, length] of [[0, 8], [1, 1], [1234, 1000], [2999, 1], [0, 3000]] as const) {
      expect([...(await source.read(offset, length))]).toEqual([...BYTES.subarray(offset, offset + length)]);
    }
    await expect(source.read(2990, 20)).rejects.toMatchObject({ code: 'E_SHORT_READ', context: { file: 'model.safetensors' } });
    await expect(source.read(0, 8, AbortSignal.abort())).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('reads an OPFS file through its handle, and says so when the file changed after it was picked', async () => {
    const handle = await opfsFile('blob-source', BYTES);
    const source = await BlobSource.fromHandle(handle, 'picked.safetensors');
    expect([...(await source.read(100, 50))]).toEqual([...BYTES.subarray(100, 150)]);
    // Another program replaces the file (a new download): Chromium notices that size and time no longer match the
    // snapshot taken when the file was picked.
    const writable = await handle.createWritable();
    await writable.write(BYTES.subarray(0, 2000) as Uint8Array<ArrayBuffer>);
    await writable.close();
    const error = await source.read(100, 50).then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    expect(error).toMatchObject({
      code: 'E_FILE_CHANGED',
      message: /picked\.safetensors .*changed on disk after you picked it/,
      context: { file: 'picked.safetensors', offset: 100 },
    });
    expect((error?.cause as DOMException).name).toBe('NotReadableError');
  });

  it('reads a long range into the caller\'s buffer piece by piece, and stops between pieces on a cancel', async () => {
    const bytes = new Uint8Array(40 * 1024 * 1024 + 3);
    for (let i = 0; i < bytes.length; i += 4096) bytes.fill((i / 4096) % 251, i, i + 4096);
    bytes[bytes.length - 1] = 7;
    const source = new BlobSource('model.safetensors', new File([bytes], 'model.safetensors'));
    const length = bytes.length - 5;
    const into = new Uint8Array(length + 10);
    const got = await source.read(5, length, undefined, into);
    expect(got.buffer).toBe(into.buffer);
    expect(got.byteLength).toBe(length);
    expect(got.findIndex((b, i) => b !== bytes[5 + i])).toBe(-1);
    const controller = new AbortController();
    const reading = source.read(0, 40 * 1024 * 1024, controller.signal, into);
    controller.abort();
    await expect(reading).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });
});
