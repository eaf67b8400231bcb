/**
 * Connects the job slice to the run panel and the output settings: offers the bundled demo on first open, picks the
 * output folder (File System Access, else the browser's private storage with downloads), runs, cancels, resumes —
 * also after a reload — and says when the merge runs on the CPU because WebGPU is missing.
 */
import { useEffect, useState } from 'react';

import type { PlanOverview } from '../engine/api';
import { currentTensorFraction } from '../state/job-progress';
import { DEFAULT_HUB } from '../state/job-slice';
import { localFoldersMissing, missingLocalFolders, recipeRunInput } from '../state/run-input';
import type { JobState, OutputFolder, RunInput } from '../state/job-slice';
import type { PendingRun } from '../state/pending-run';
import { useAppStore, useAppStoreApi } from '../state/hooks';
import { formatBytes, formatDuration, parseByteSize } from '../shared/format';
import { AppError, describeContext } from '../shared/errors';
import type { ErrorPayload } from '../shared/errors';
import { OutputSettings } from '../ui/OutputSettings';
import type { DtypeChoice } from '../ui/OutputSettings';
import { RunPanel } from '../ui/RunPanel';
import type { Notice, RunPanelProps, RunProgressView } from '../ui/RunPanel';
import type { Capability } from '../ui/CapabilityList';
import { detectCapabilities } from './capabilities';
import { GgufOutputFields } from './GgufOutputFields';
import { loadDemo, loadDemoManifest } from './demo';
import { reopenLocalInputs } from './local-inputs';
import type { ReopenedFolder } from './local-inputs';
import { TryIt } from './tryit/TryIt';
import './run.css';

type DirectoryPicker = (options?: { id?: string; mode?: 'read' | 'readwrite'; startIn?: string }) => Promise<FileSystemDirectoryHandle>;

function directoryPicker(): DirectoryPicker | undefined {
  const picker = (window as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  return picker === undefined ? undefined : picker.bind(window);
}

/** A folder the user picks, or (without a picker) a folder named after the model in the browser's storage. */
async function chooseOutputFolder(name: string): Promise<{ handle: FileSystemDirectoryHandle; storage: OutputFolder['storage'] } | undefined> {
  const picker = directoryPicker();
  if (picker === undefined) {
    const root = await navigator.storage.getDirectory();
    return { handle: await root.getDirectoryHandle(name.replace(/[\\/:*?"<>|]/g, '_') || 'merged-model', { create: true }), storage: 'browser' };
  }
  try {
    return { handle: await picker({ id: 'merge-output', mode: 'readwrite', startIn: 'downloads' }), storage: 'picked' };
  } catch (error) {
    if ((error as DOMException).name === 'AbortError') return undefined;
    throw error;
  }
}

async function demoInput(recipeText?: string): Promise<{ input: RunInput; outputName: string }> {
  const demo = await loadDemo();
  return { input: { recipeText: recipeText ?? demo.manifest.recipe, sources: demo.sources, hub: DEFAULT_HUB, origin: 'demo' }, outputName: demo.manifest.outputName };
}

async function download(handle: FileSystemDirectoryHandle, name: string): Promise<void> {
  const file = await (await handle.getFileHandle(name)).getFile();
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function RunArea() {
  const appStore = useAppStoreApi();
  const job = useAppStore((s) => s.job);
  const actions = useAppStore((s) => s.jobActions);
  const yamlText = useAppStore((s) => s.yamlText);
  const [webgpu, setWebgpu] = useState<Capability | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [localError, setLocalError] = useState<ErrorPayload | undefined>(undefined);
  const [shardText, setShardText] = useState(() => {
    const bytes = appStore.getState().job.output.maxShardBytes;
    return bytes === undefined ? '5GB' : compactSize(bytes);
  });
  const [shardError, setShardError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    void detectCapabilities().then((found) => {
      if (live) setWebgpu(found.find((c) => c.name === 'WebGPU'));
    });
    return () => {
      live = false;
    };
  }, []);

  // A recipe that names the bundled demo models (autosaved before a reload, or linked) gets their files back, so their
  // nodes show header facts and the merge can run without adding them again.
  useEffect(() => {
    const studio = appStore.getState();
    const wanted = localFoldersMissing(studio.recipe.stages, studio.localFiles);
    if (wanted.length === 0) return;
    void (async () => {
      const ids = new Set((await loadDemoManifest()).models.map((m) => m.id));
      const demo = wanted.filter((ref) => ids.has(ref));
      if (demo.length === 0) return;
      const { sources } = await loadDemo(undefined, demo);
      for (const source of Object.values(sources)) if (source.kind === 'files') void appStore.getState().loadLocalFiles(source.files, source.name);
    })().catch(() => undefined); // Without the demo files the nodes say their headers were not read.
  }, [appStore]);

  const guard = async (label: string, work: () => Promise<void>) => {
    setBusy(label);
    setLocalError(undefined);
    try {
      await work();
    } catch (error) {
      const e = error as Partial<ErrorPayload> & Error;
      setLocalError({ code: e.code ?? 'E_INTERNAL', message: e.message, context: e.context ?? {}, ...(e.hint === undefined ? {} : { hint: e.hint }) });
    } finally {
      setBusy(undefined);
    }
  };

  const takeDemo = () =>
    guard('Loading the demo…', async () => {
      const { input, outputName } = await demoInput();
      await actions.setOutput({ name: outputName });
      await actions.setRunInput(input);
      // The demo recipe goes onto the canvas too, with its models' header facts (read from the bundled files).
      const studio = appStore.getState();
      studio.setYaml(input.recipeText);
      for (const source of Object.values(input.sources)) if (source.kind === 'files') void studio.loadLocalFiles(source.files, source.name);
    });

  const pickFolder = async (): Promise<boolean> => {
    const chosen = await chooseOutputFolder(appStore.getState().job.output.name);
    if (chosen === undefined) return false;
    await actions.setFolder(chosen.handle, chosen.storage);
    return true;
  };

  const run = () =>
    guard('Starting…', async () => {
      if (appStore.getState().job.folder === undefined && !(await pickFolder())) return;
      await actions.startRun();
    });

  /**
   * Puts an interrupted recipe and its reopened folders on the canvas and returns the canvas's run input, so that the
   * studio's recipe-as-run-input finds the job already merging what the canvas shows and leaves the resumed run alone.
   */
  const recipeOnCanvas = async (recipeText: string, folders: readonly ReopenedFolder[]): Promise<RunInput> => {
    const studio = appStore.getState();
    if (studio.yamlText !== recipeText) studio.setYaml(recipeText);
    await Promise.all(folders.map((folder) => studio.loadLocalFiles(folder.files, folder.ref)));
    const { localFiles, hubEndpoint, hubToken } = appStore.getState();
    return recipeRunInput(recipeText, localFiles, hubEndpoint, hubToken);
  };

  const resumePending = (pending: PendingRun) =>
    guard('Resuming…', async () => {
      const studio = appStore.getState();
      const own = pending.origin === 'recipe' ? recipeRunInput(pending.recipeText, studio.localFiles, studio.hubEndpoint, studio.hubToken) : undefined;
      const missing = own === undefined ? [] : missingLocalFolders(own.recipeText, own.sources);
      // Files a page was given do not survive a reload: folders chosen with the picker are reopened from their
      // remembered handles (read permission asked again); others are named, to be added again.
      const folders = await reopenLocalInputs(missing);
      // The output picker next, while the click still counts as a user gesture.
      let chosen: Awaited<ReturnType<typeof chooseOutputFolder>>;
      try {
        chosen = await chooseOutputFolder(pending.output.name);
      } catch (error) {
        if (folders.length > 0 && (error as DOMException).name === 'SecurityError') {
          throw new AppError('E_FILE_MISSING', 'The input folders are open again; the browser wants one more click to choose the output folder.', {
            hint: `Click Resume… again and choose “${pending.folderName}”.`,
            cause: error,
          });
        }
        throw error;
      }
      if (chosen === undefined) return;
      const input = own === undefined ? (await demoInput(pending.recipeText)).input : await recipeOnCanvas(pending.recipeText, folders);
      await actions.setOutput(pending.output);
      if (pending.output.maxShardBytes !== undefined) setShardText(compactSize(pending.output.maxShardBytes));
      await actions.setRunInput(input);
      await actions.setFolder(chosen.handle, chosen.storage);
      if (appStore.getState().job.folder?.state?.unfinished !== true) {
        throw new AppError('E_FILE_MISSING', `“${chosen.handle.name}” holds no unfinished merge.`, {
          hint: `Choose the folder the merge was writing into (“${pending.folderName}”), or merge anew into this one.`,
        });
      }
      await actions.startRun({ resume: true });
    });

  const changeShardSize = (text: string) => {
    setShardText(text);
    const bytes = parseByteSize(text);
    if (bytes === undefined || bytes < 1000) {
      setShardError('A size such as 5GB, 500MB or 2e9.');
      return;
    }
    setShardError(undefined);
    void actions.setOutput({ maxShardBytes: bytes });
  };

  const running = job.phase === 'running';
  // The canvas changed and the plan has not caught up yet (the recipe reaches the job after a short pause): merging now
  // would merge the previous recipe, and its planning error is no longer news.
  const stale = !running && job.input?.origin === 'recipe' && job.input.recipeText !== yamlText;
  const notices = buildNotices(job, stale, webgpu, localError, {
    resume: resumePending,
    discard: actions.dismissPending,
    overwrite: () => void guard('Starting…', () => actions.startRun({ allowOverwrite: true })),
  });

  const folder = job.folder;
  const canResume = !running && !stale && folder?.state?.unfinished === true && job.plan !== undefined;
  const panel: RunPanelProps = {
    summary: job.plan === undefined ? undefined : planSummary(job.plan),
    summaryNote: job.phase === 'planning' || stale ? 'Updating the plan…' : job.plan === undefined ? undefined : `Also writes ${job.plan.extraFiles.join(', ')}.`,
    notices,
    progress: job.progress === undefined || (!job.progress.started && !running) ? undefined : progressView(job),
    files: job.result?.files.map((f) => ({
      name: f.name,
      size: formatBytes(f.bytes),
      onDownload: folder?.storage === 'browser' ? () => void download(folder.handle, f.name) : undefined,
    })),
    filesTitle: folder?.storage === 'browser' ? 'Files (in browser storage: download each)' : `Files in ${folder?.name ?? 'the folder'}`,
    actionsVisible: job.input !== undefined,
    canRun: !running && !stale && busy === undefined && job.plan !== undefined && job.phase !== 'planning',
    runLabel: canResume ? 'Start over' : folder === undefined ? 'Choose folder and merge' : job.phase === 'done' ? 'Merge again' : 'Merge',
    canResume: canResume && busy === undefined,
    canCancel: running,
    cancelling: job.cancelling,
    onRun: () => void (canResume ? guard('Starting…', () => actions.startRun({ allowOverwrite: true })) : run()),
    onResume: () => void guard('Resuming…', () => actions.startRun({ resume: true })),
    onCancel: actions.cancelRun,
  };

  const dtype: DtypeChoice = job.output.dtype ?? 'recipe';
  return (
    <section className="panel run-area" aria-labelledby="run-title">
      <h2 id="run-title">Run</h2>
      {job.input === undefined && job.pending === undefined ? (
        <div className="demo-offer" data-testid="demo-offer">
          <div>
            <strong>New here? Try the bundled demo.</strong>
            <p className="muted">
              Two tiny Llama siblings (5 MB each, with tokenizer) and a LoRA adapter ship with the app: a SLERP merge with layer
              gradients runs offline in seconds.
            </p>
          </div>
          <button type="button" className="button primary" disabled={busy !== undefined} onClick={() => void takeDemo()}>
            {busy ?? 'Load the demo'}
          </button>
        </div>
      ) : null}
      {job.input === undefined ? null : <InputsLine job={job} stale={stale} />}
      <div className="run-grid">
        <OutputSettings
          name={job.output.name}
          dtype={dtype}
          shardSize={shardText}
          shardSizeError={shardError}
          folderName={folder?.name}
          folderNote={folderNote(folder)}
          chooseLabel={folder === undefined ? 'Choose folder…' : 'Change…'}
          disabled={running}
          onNameChange={(name) => void actions.setOutput({ name: name === '' ? 'merged-model' : name })}
          onDtypeChange={(d) => void actions.setOutput({ dtype: d === 'recipe' ? undefined : d })}
          onShardSizeChange={changeShardSize}
          onChooseFolder={() => void guard('Choosing…', async () => void (await pickFolder()))}
        >
          <GgufOutputFields />
        </OutputSettings>
        <RunPanel {...panel} />
      </div>
      <TryIt />
    </section>
  );
}

/** The models the plan reads (with pinned revisions) and the recipe text, or what is holding the plan up. */
function InputsLine({ job, stale }: { readonly job: JobState; readonly stale: boolean }) {
  const inputs = (job.plan?.inputs ?? []).map((i) => (i.revision === undefined ? i.ref : `${i.ref}@${i.revision.slice(0, 7)}`));
  const adapters = job.plan?.adapters ?? [];
  const waiting = stale ? 'catching up with the canvas…' : job.planError !== undefined ? 'not planned (see below)' : 'reading model headers…';
  const text = inputs.length === 0 ? waiting : `${inputs.join(' · ')}${adapters.length === 0 ? '' : ` · LoRA ${adapters.join(', ')}`}`;
  return (
    <details className="inputs-line">
      <summary>
        {job.input?.origin === 'demo' ? 'Demo recipe' : 'Recipe'}: {text}
      </summary>
      <pre className="recipe-text">{job.input?.recipeText}</pre>
    </details>
  );
}

/** `1000000` → `1MB`, `1500000000` → `1.50GB`: what the shard size field shows. */
function compactSize(bytes: number): string {
  return formatBytes(bytes).replace(' ', '').replace(/\.0+(?=[a-zA-Z])/, '');
}

function planSummary(plan: PlanOverview): { label: string; value: string }[] {
  return [
    { label: 'Output', value: formatBytes(plan.outputBytes) },
    { label: 'Tensors', value: String(plan.tensorCount) },
    { label: 'Shards', value: String(plan.shardCount) },
    { label: 'Reads', value: formatBytes(plan.inputBytes) },
    { label: 'Peak memory', value: formatBytes(plan.peakMemoryBytes) },
    { label: 'Time (est.)', value: `~${formatDuration(plan.estimatedSeconds)}` },
  ];
}

function folderNote(folder: OutputFolder | undefined): string | undefined {
  if (folder === undefined) return 'The merged model streams into it, shard by shard.';
  const where = folder.storage === 'browser' ? 'In browser storage. ' : '';
  const state = folder.state;
  if (state === undefined) return `${where}Looking inside…`;
  if (state.unfinished) return `${where}Holds an unfinished merge (${state.finishedShards.length} shard${state.finishedShards.length === 1 ? '' : 's'} done).`;
  if (state.files.length > 0) return `${where}Not empty: ${state.files.length} file${state.files.length === 1 ? '' : 's'}.`;
  return `${where}Empty.`;
}

function progressView(job: JobState): RunProgressView {
  const p = job.progress as NonNullable<JobState['progress']>;
  const kept = p.shards.filter((s) => s.status === 'kept').length;
  const headline =
    job.phase === 'done'
      ? 'Done'
      : job.phase === 'cancelled'
        ? 'Cancelled'
        : job.phase === 'failed'
          ? 'Stopped'
          : p.finalizing
            ? 'Finalizing…'
            : job.cancelling
              ? 'Cancelling…'
              : kept > 0
                ? `Merging (resumed, ${kept} shard${kept === 1 ? '' : 's'} kept)`
                : 'Merging';
  return {
    fraction: job.phase === 'done' ? 1 : p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0,
    headline,
    tensors: `${p.tensorsDone} / ${p.tensorCount} tensors`,
    bytes: `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`,
    rate: p.bytesPerSecond > 0 ? `${formatBytes(p.bytesPerSecond)}/s` : '– /s',
    eta:
      job.phase === 'done'
        ? `took ${formatDuration(job.result?.seconds ?? 0)}`
        : job.phase !== 'running'
          ? 'stopped'
          : p.etaSeconds === undefined
            ? 'ETA –'
            : `ETA ${formatDuration(p.etaSeconds)}`,
    currentTensor: job.phase === 'running' && !p.finalizing ? p.currentTensor : undefined,
    tensorFraction: currentTensorFraction(p),
    tensorSize: formatBytes(p.currentTensorBytes),
    // A shard being written when the run stopped was discarded.
    shards: job.phase === 'running' ? p.shards : p.shards.map((s) => (s.status === 'writing' ? { ...s, status: 'waiting' } : s)),
  };
}

function errorNotice(title: string, error: ErrorPayload, actions?: Notice['actions']): Notice {
  const where = describeContext(error.context);
  return { kind: 'error', title, text: `${error.message}${where === '' ? '' : ` (${where})`}`, hint: error.hint, ...(actions === undefined ? {} : { actions }) };
}

function buildNotices(
  job: JobState,
  stale: boolean,
  webgpu: Capability | undefined,
  localError: ErrorPayload | undefined,
  on: { resume: (p: PendingRun) => Promise<void>; discard: () => void; overwrite: () => void },
): Notice[] {
  const notices: Notice[] = [];
  if (job.pending !== undefined && job.phase !== 'running') {
    const pending = job.pending;
    notices.push({
      kind: 'warn',
      title: `An unfinished merge into “${pending.folderName}”`,
      text: `It did not finish${pending.startedAt === '' ? '' : ` (started ${new Date(pending.startedAt).toLocaleString()})`}. Finished shards are kept.`,
      hint: 'Resume asks for the same folder again.',
      actions: [
        { label: 'Resume…', onClick: () => void on.resume(pending) },
        { label: 'Discard', onClick: on.discard },
      ],
    });
  }
  if (webgpu !== undefined && webgpu.status !== 'ok') {
    notices.push({
      kind: 'info',
      title: 'Running on the CPU',
      text: webgpu.status === 'missing' ? 'WebGPU is not available in this browser: the CPU backend merges on a worker per core.' : 'WebGPU offers only a software adapter here: the CPU backend merges on a worker per core.',
    });
  }
  if (typeof window !== 'undefined' && !('showDirectoryPicker' in window)) {
    notices.push({ kind: 'info', title: 'No folder picker in this browser', text: 'The merged model is kept in browser storage; download each file when it is done.' });
  }
  if (localError !== undefined) notices.push(errorNotice('Something went wrong', localError));
  if (job.planError !== undefined && !stale) notices.push(errorNotice('The recipe cannot be planned', job.planError));
  if (job.phase === 'failed' && job.error !== undefined) {
    notices.push(errorNotice('The merge stopped', job.error, job.error.code === 'E_OUTPUT_NOT_EMPTY' ? [{ label: 'Write into it anyway', onClick: on.overwrite }] : undefined));
  }
  if (job.phase === 'cancelled') {
    const done = job.folder?.state?.finishedShards.length ?? 0;
    notices.push({ kind: 'warn', title: 'Cancelled', text: `${done} of ${job.plan?.shardCount ?? '?'} shards are finished and kept in the folder.`, hint: 'Resume continues from there, now or after a reload.' });
  }
  if (job.phase === 'done' && job.result !== undefined) {
    const resumed = job.result.resumedShards.length;
    notices.push({
      kind: 'ok',
      title: 'Merged',
      text: `${job.result.files.length} files in ${job.folder?.name ?? 'the folder'}, computed on the ${job.result.backend} in ${formatDuration(job.result.seconds)}${resumed > 0 ? `; ${resumed} shard${resumed === 1 ? '' : 's'} kept from the interrupted run` : ''}.`,
    });
  }
  return notices;
}
