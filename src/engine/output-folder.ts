/**
 * The output folder before and after a run: which finished shards and GGUF files a resume may keep (only those of an
 * identical fingerprint), the files of an earlier model output that the new one does not replace (safetensors and
 * GGUF, removed so that no loader can mix the two), and hidden temporaries that killed runs left behind. The user's
 * other files are never touched.
 */
import { TOKENIZER_FILES } from '../io/model/load-model';
import { parseShardIndex, INDEX_FILE } from '../io/safetensors/shard-index';
import type { ShardPlan } from '../io/safetensors/layout';
import { ModelOutputWriter, PARTIAL_MARKER, readOutputManifest } from '../io/safetensors/writer';
import type { DirectorySink } from '../io/sink/byte-sink';
import { GGUF_MARKER, readGgufMarker } from './gguf-output';
import type { GgufOutput } from './gguf-output';
import { fingerprintChanges } from './run-fingerprint';
import type { RunFingerprint } from './run-fingerprint';

export interface OutputDecision {
  /** Finished shards of an earlier run of the very same inputs, recipe, options and tool: kept. */
  readonly keep: readonly string[];
  /** Why an unfinished folder's shards were discarded (empty when nothing was discarded or there was none). */
  readonly restartReasons: readonly string[];
  /** Whether the folder holds an unfinished run of the very same fingerprint and `resume` was asked for. */
  readonly matched: boolean;
}

/**
 * Opens `dir` for a run: removes leftover temporaries, keeps the finished shards of an identical earlier run (with
 * `resume`), marks the folder unfinished, starts the GGUF export when the run has one (it may keep finished GGUF files
 * only when the fingerprint matched), then removes every other file of an earlier model output.
 */
export async function openOutput(
  dir: DirectorySink,
  plan: ShardPlan,
  fingerprint: RunFingerprint,
  resume: boolean,
  startGguf?: (resume: boolean) => Promise<GgufOutput>,
): Promise<{ writer: ModelOutputWriter; gguf: GgufOutput | undefined; restartReasons: readonly string[] }> {
  await dir.removeTemporaries();
  const decision = await decideResume(dir, fingerprint, resume);
  const earlier = await findEarlierOutput(dir);
  const writer = await ModelOutputWriter.start(dir, plan, { fingerprint, keep: decision.keep });
  const gguf = await startGguf?.(decision.matched);
  const keep = new Set([...writer.finishedShards, ...(gguf === undefined ? [] : [GGUF_MARKER, ...gguf.finishedFiles])]);
  await removeEarlierOutput(dir, earlier, keep);
  return { writer, gguf, restartReasons: decision.restartReasons };
}

/** Decides what a run into `dir` may keep. Without `resume`, nothing is kept. */
async function decideResume(dir: DirectorySink, fingerprint: RunFingerprint, resume: boolean): Promise<OutputDecision> {
  const manifest = await readOutputManifest(dir);
  if (!resume || manifest === undefined) return { keep: [], restartReasons: [], matched: false };
  const changes = fingerprintChanges(manifest.fingerprint, fingerprint);
  if (changes.length === 0) return { keep: manifest.finished, restartReasons: [], matched: true };
  return { keep: [], restartReasons: changes, matched: false };
}

/** Single-file and sharded weight names as transformers and mergekit write them. */
const WEIGHT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors$/;
/**
 * GGUF as this tool names it: `<name>.gguf`, or gguf-split parts `<name>-00001-of-00003.gguf`, where the name is the
 * output's (the folder's name by default).
 */
const GGUF_FILE = /^(.+?)(-\d{5}-of-\d{5})?\.gguf$/;
/** Small files of a model folder that belong to the model (not to the user). */
const MODEL_FILES = new Set<string>(['config.json', 'mergekit_config.yml', INDEX_FILE, PARTIAL_MARKER, GGUF_MARKER, ...TOKENIZER_FILES]);

/** Whether `name` is a GGUF file named after one of `stems` (the folder's name, `model`, or an earlier export's name). */
function isOwnGguf(name: string, stems: ReadonlySet<string>): boolean {
  const match = GGUF_FILE.exec(name);
  return match !== null && stems.has(match[1] as string);
}

/**
 * The files of an earlier model output in `dir` (weights, index, config, tokenizer files, recipe, markers): the shards
 * an earlier index or manifest names, whatever their names, the GGUF files an earlier GGUF marker names, and GGUF
 * files named after the folder (or after an earlier export's name), included. Read it before a new run rewrites the
 * markers. A `.gguf` of another name is the user's.
 */
async function findEarlierOutput(dir: DirectorySink): Promise<string[]> {
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
  const ggufMarker = await readGgufMarker(dir);
  const stems = new Set(['model', folderName(dir.name)]);
  for (const file of ggufMarker?.files ?? []) {
    named.add(file);
    const stem = GGUF_FILE.exec(file)?.[1];
    if (stem !== undefined) stems.add(stem);
  }
  return present.filter((name) => MODEL_FILES.has(name) || WEIGHT_FILE.test(name) || named.has(name) || isOwnGguf(name, stems));
}

/** The last part of a folder path (the sink's name may be a path). */
function folderName(path: string): string {
  return path.split(/[\\/]/).filter((p) => p !== '').at(-1) ?? path;
}

/** Removes `earlier` files except the marker (the writer owns it) and the files being kept; returns what went. */
async function removeEarlierOutput(dir: DirectorySink, earlier: readonly string[], keep: ReadonlySet<string>): Promise<string[]> {
  const stale = earlier.filter((name) => name !== PARTIAL_MARKER && !keep.has(name));
  for (const name of stale) await dir.remove(name);
  return stale;
}
