/**
 * Compares two model folders held in memory tensor by tensor: the same tensor names, dtypes, shapes and bytes, in
 * whichever shard each sits. Returns the differences in words (empty when the folders hold the same weights), so a
 * failing test names the tensor.
 */
import { loadModel } from '../src/io/model/load-model';
import { memoryFolder } from '../src/io/model/memory-folder';

export async function tensorDifferences(actual: ReadonlyMap<string, Uint8Array>, expected: ReadonlyMap<string, Uint8Array>): Promise<string[]> {
  const [a, e] = await Promise.all([loadModel(memoryFolder('actual', actual)), loadModel(memoryFolder('expected', expected))]);
  const differences: string[] = [];
  if ([...a.tensors.keys()].join() !== [...e.tensors.keys()].join()) differences.push(`tensor names differ: ${[...a.tensors.keys()].length} vs ${[...e.tensors.keys()].length}`);
  for (const [name, want] of e.tensors) {
    const got = a.tensors.get(name);
    if (got === undefined) {
      differences.push(`${name}: missing`);
      continue;
    }
    if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) {
      differences.push(`${name}: ${got.dtype}[${got.shape.join()}] instead of ${want.dtype}[${want.shape.join()}]`);
      continue;
    }
    const gotBytes = await (await a.folder.open(got.file)).read(got.offset, got.length);
    const wantBytes = await (await e.folder.open(want.file)).read(want.offset, want.length);
    const first = gotBytes.findIndex((b, i) => b !== wantBytes[i]);
    if (gotBytes.length !== wantBytes.length || first >= 0) differences.push(`${name}: bytes differ from byte ${first}`);
  }
  return differences;
}
