/**
 * Connects the job slice to the run panel and the output settings: offers the bundled demo on first open, picks the
 * output folder (File System Access, else the browser's private storage with downloads), runs, cancels, resumes —
 * also after a reload — and says when the merge runs on the CPU because WebGPU is missing.
 */
import { useEffect, useState } from 'react';

import { DEFAULT_HUB } from '../state/job-slice';
import { localFoldersMissing, missingLocalFolders, recipeRunInput } from '../state/run-input';
import type { RunInput } from '../state/job-slice';
import type { PendingRun } from '../state/pending-run';
import { useAppStore, useAppStoreApi } from '../state/hooks';
import { formatBytes, parseByteSize } from '../shared/format';
import { AppError } from '../shared/errors';
import type { ErrorPayload } from '../shared/errors';
import { OutputSettings } from '../ui/OutputSettings';
import type { DtypeChoice } from '../ui/OutputSettings';
import { RunPanel } from '../ui/RunPanel';
import type { RunPanelProps } from '../ui/RunPanel';
import type { Capability } from '../ui/CapabilityList';
import { detectCapabilities } from './capabilities';
import { GgufOutputFields } from './GgufOutputFields';
import { loadDemo, loadDemoManifest } from './demo';
import { PublishPanel } from './publish/PublishPanel';
import { TryIt } from './tryit/TryIt';
import { reopenLocalInputs } from './local-inputs';
import type { ReopenedFolder } from './local-inputs';
import { InputsLine } from './run/InputsLine';
import { chooseOutputFolder, download } from './run/output-folder';
import { buildNotices } from './run/run-notices';
import { compactSize, folderNote, planSummary, progressView } from './run/run-view';
import { RunDrawer } from './run/RunDrawer';
import { runStatus } from './run/run-status';
import { unfinishedRecipe } from '../state/stage-needs';
import './run.css';

async function demoInput(recipeText?: string): Promise<{ input: RunInput; outputName: string }> {
  const demo = await loadDemo();
  return { input: { recipeText: recipeText ?? demo.manifest.recipe, sources: demo.sources, hub: DEFAULT_HUB, origin: 'demo' }, outputName: demo.manifest.outputName };
}

export function RunArea() {
  const appStore = useAppStoreApi();
  const job = useAppStore((s) => s.job);
  const actions = useAppStore((s) => s.jobActions);
  const yamlText = useAppStore((s) => s.yamlText);
  const stages = useAppStore((s) => s.recipe.stages);
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
  const unfinished = unfinishedRecipe(stages);
  const notices = buildNotices(
    job,
    stale,
    webgpu,
    localError,
    {
      resume: resumePending,
      discard: actions.dismissPending,
      overwrite: () => void guard('Starting…', () => actions.startRun({ allowOverwrite: true })),
    },
    unfinished,
  );

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
  const offerDemo = job.input === undefined && job.pending === undefined;
  const action = running
    ? { label: job.cancelling ? 'Cancelling…' : 'Cancel', disabled: job.cancelling, primary: false, onClick: actions.cancelRun }
    : offerDemo
      ? { label: busy ?? 'Load the demo', disabled: busy !== undefined, primary: true, onClick: () => void takeDemo() }
      : panel.actionsVisible
        ? { label: panel.runLabel, disabled: !panel.canRun, primary: true, onClick: panel.onRun }
        : undefined;
  const status = localError === undefined ? runStatus(job, stale, unfinished) : { tone: 'error' as const, text: localError.message };
  return (
    <RunDrawer status={status} action={action} fraction={running ? panel.progress?.fraction : undefined}>
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
      <PublishPanel />
      <TryIt />
    </RunDrawer>
  );
}
