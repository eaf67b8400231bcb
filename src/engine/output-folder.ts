/**
 * The output folder before and after a run: which finished shards a resume may keep (only those of an identical
 * fingerprint), the files of an earlier model output that the new one does not replace (removed so that no loader
 * can mix the two), and hidden temporaries that killed runs left behind. The user's other files are never touched.
 */
import { TOKENIZER_FILES } from '../io/model/load-model';
import { parseShardIndex, INDEX_FILE } from '../io/safetensors/shard-index';
import type { ShardPlan } from '../io/safetensors/layout';
import { ModelOutputWriter, PARTIAL_MARKER, readOutputManifest } from '../io/safetensors/writer';
import type { DirectorySink } from '../io/sink/byte-sink';
import { fingerprintChanges } from './run-fingerprint';
import type { RunFingerprint } from './run-fingerprint';

export interface OutputDecision {
  /** Finished shards of an earlier run of the very same inputs, recipe, options and tool: kept. */
  readonly keep: readonly string[];
  /** Why an unfinished folder's shards were discarded (empty when nothing was discarded or there was none). */
  readonly restartReasons: readonly string[];
}

/**
 * Opens `dir` for a run: removes leftover temporaries, keeps the finished shards of an identical earlier run (with
 * `resume`), marks the folder unfinished, then removes every other file of an earlier model output.
 */
export async function openOutput(
  dir: DirectorySink,
  plan: ShardPlan,
  fingerprint: RunFingerprint,
  resume: boolean,
): Promise<{ writer: ModelOutputWriter; restartReasons: readonly string[] }> {
  await dir.removeTemporaries();
  const decision = await decideResume(dir, fingerprint, resume);
  const earlier = await findEarlierOutput(dir);
  const writer = await ModelOutputWriter.start(dir, plan, { fingerprint, keep: decision.keep });
  await removeEarlierOutput(dir, earlier, writer.finishedShards);
  return { writer, restartReasons: decision.restartReasons };
}

/** Decides what a run into `dir` may keep. Without `resume`, nothing is kept. */
export async function decideResume(dir: DirectorySink, fingerprint: RunFingerprint, resume: boolean): Promise<OutputDecision> {
  const manifest = await readOutputManifest(dir);
  if (!resume || manifest === undefined) return { keep: [], restartReasons: [] };
  const changes = fingerprintChanges(manifest.fingerprint, fingerprint);
  if (changes.length === 0) return { keep: manifest.finished, restartReasons: [] };
  return { keep: [], restartReasons: changes };
}

/** Single-file and sharded weight names as transformers and mergekit write them. */
const WEIGHT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors$/;
/** Small files of a model folder that belong to the model (not to the user). */
const MODEL_FILES = new Set<string>(['config.json', 'mergekit_config.yml', INDEX_FILE, PARTIAL_MARKER, ...TOKENIZER_FILES]);

/**
 * The files of an earlier model output in `dir` (weights, index, config, tokenizer files, recipe, marker): the shards an
 * earlier index or manifest names, whatever their names, included. Read it before a new run rewrites the marker.
 */
export async function findEarlierOutput(dir: DirectorySink): Promise<string[]> {
  const present = await dir.list();
  const named = new Set<string>();
  const index = present.includes(INDEX_FILE) ? await dir.readFile(INDEX_FILE) : undefined;
  if (index !== undefined) {
    try {
      for (const shard of parseShardIndex(index, INDEX_FILE).shards) named.add(shard);
    } catch {
      // A damaged index names nothing it can be trusted for; the index itself still goes.
    }
  }
  const manifest = await readOutputManifest(dir);
  for (const file of [...(manifest?.shards ?? []), ...(manifest?.finished ?? [])]) named.add(file);
  return present.filter((name) => MODEL_FILES.has(name) || WEIGHT_FILE.test(name) || named.has(name));
}

/** Removes `earlier` files except the marker (the writer owns it) and the shards being kept; returns what went. */
export async function removeEarlierOutput(dir: DirectorySink, earlier: readonly string[], keep: ReadonlySet<string>): Promise<string[]> {
  const stale = earlier.filter((name) => name !== PARTIAL_MARKER && !keep.has(name));
  for (const name of stale) await dir.remove(name);
  return stale;
}
