import { useEffect, useState } from 'react';

import { MergeCanvas } from '../canvas/MergeCanvas';
import { StoreProvider, useAppStore, useAppStoreApi } from '../state/hooks';
import { decodePermalink } from '../state/permalink';
import { createAppStore } from '../state/store';
import { allModelRefs } from '../state/recipe-graph';
import { canvasRunInput, isHubId } from '../state/run-input';
import { sourceEntryOf } from '../state/sources-slice';
import { splitLoraRef } from '../recipe/model-ref';
import { CapabilityList } from '../ui/CapabilityList';
import type { Capability } from '../ui/CapabilityList';
import { detectCapabilities } from './capabilities';
import { ErrorBoundary } from './ErrorBoundary';
import { Inspector } from './Inspector';
import { useModelDrop } from './model-drop';
import { LensPanel } from './lens/LensPanel';
import { useHubSignInRedirect } from './publish/use-hub-account';
import { RunArea } from './RunArea';
import { SidePanel } from './SidePanel';
import { ModelsPanel } from './ModelsPanel';
import { YamlPanel } from './YamlPanel';

/** The studio: models on the left, the merge canvas in the centre, the inspector and the recipe YAML on the right. */
export function App() {
  const [store] = useState(() => createAppStore({ storage: safeLocalStorage(), url: window.location.href }));
  useEffect(() => {
    // The permalink has been read into the store; from here on the autosave is the recipe's home.
    if (window.location.hash.startsWith('#recipe=')) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }, []);
  return (
    <ErrorBoundary>
      <StoreProvider store={store}>
        <Studio />
      </StoreProvider>
    </ErrorBoundary>
  );
}

function Studio() {
  useHubHeadersForRecipe();
  useRecipeAsRunInput();
  usePermalinkHashChange();
  useUndoKeys();
  const layout = useAppStore((s) => s.layout);
  const signInError = useHubSignInRedirect();
  return (
    <div className="app">
      <header className="app-header">
        <h1>Merge Studio</h1>
        <p className="tagline">Merge language models in your browser, on your own GPU. Nothing is uploaded unless you publish.</p>
        <BrowserCapabilities />
      </header>
      {signInError === undefined ? null : (
        <p className="field-error" role="alert">
          {signInError}
        </p>
      )}
      <main className={`studio${layout.models ? '' : ' left-collapsed'}${layout.inspector ? '' : ' right-collapsed'}`}>
        <ModelsPanel />
        <div className="centre">
          <CanvasDropTarget />
          <RunArea />
        </div>
        <SidePanel id="inspector" side="right" label="Inspector and recipe">
          <Inspector />
          <LensPanel />
          <YamlPanel />
        </SidePanel>
      </main>
    </div>
  );
}

/** The canvas, which also takes dropped model folders and files. */
function CanvasDropTarget() {
  const { over, handlers } = useModelDrop();
  return (
    <div className={`canvas-drop${over ? ' is-over' : ''}`} data-testid="canvas-drop" {...handlers}>
      <MergeCanvas />
      {over ? <div className="drop-hint">Drop to add the model folder</div> : null}
    </div>
  );
}

/**
 * Hub models named by an imported, linked or restored recipe get their headers read once; so do the LoRA adapters of
 * `model+lora` references, from the Hub or from a local folder once the studio has its files.
 */
function useHubHeadersForRecipe() {
  const store = useAppStoreApi();
  const stages = useAppStore((s) => s.recipe.stages);
  const looseModels = useAppStore((s) => s.looseModels);
  const localFiles = useAppStore((s) => s.localFiles);
  useEffect(() => {
    // After a pause, so names half-typed in the YAML panel are not fetched.
    const timer = setTimeout(() => {
      const { sources, adapters, loadHubModel, loadAdapter } = store.getState();
      for (const ref of allModelRefs({ stages, looseModels })) {
        // A model+lora reference reads its model's headers for the model facts.
        const { model, lora } = splitLoraRef(ref);
        if (sourceEntryOf(sources, ref) === undefined && isHubId(model)) void loadHubModel(model);
        if (lora !== undefined && adapters[lora] === undefined && (localFiles[lora] !== undefined || isHubId(lora))) void loadAdapter(lora);
      }
    }, 600);
    return () => clearTimeout(timer);
  }, [store, stages, looseModels, localFiles]);
}

/**
 * The recipe on the canvas is what Run merges: whenever it (or a model's source, or the Hub settings) changes, the job
 * gets it as its input — local folders by their files, everything else read from the Hub in the worker.
 */
function useRecipeAsRunInput() {
  const store = useAppStoreApi();
  const yamlText = useAppStore((s) => s.yamlText);
  const yamlError = useAppStore((s) => s.yamlError);
  const localFiles = useAppStore((s) => s.localFiles);
  const endpoint = useAppStore((s) => s.hubEndpoint);
  const token = useAppStore((s) => s.hubToken);
  useEffect(() => {
    const timer = setTimeout(() => {
      // The state when the timer fires, not when it was set: a resume may have set the job's input meanwhile.
      const state = store.getState();
      const input = canvasRunInput(state);
      if (input !== 'keep') void state.jobActions.setRunInput(input);
    }, 400);
    return () => clearTimeout(timer);
  }, [store, yamlText, yamlError, localFiles, endpoint, token]);
}

/** A permalink pasted into the address bar of an open studio changes only the hash: open its recipe then. */
function usePermalinkHashChange() {
  const store = useAppStoreApi();
  useEffect(() => {
    const onHash = () => {
      const yaml = decodePermalink(window.location.hash);
      if (yaml === undefined) return;
      store.getState().setYaml(yaml);
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [store]);
}

/** Ctrl/Cmd+Z and Ctrl/Cmd+Shift+Z (or Ctrl+Y) outside text fields. */
function useUndoKeys() {
  const store = useAppStoreApi();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target !== null && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) store.getState().undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') store.getState().redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
}

function BrowserCapabilities() {
  const [capabilities, setCapabilities] = useState<readonly Capability[] | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void detectCapabilities().then((found) => {
      if (live) setCapabilities(found);
    });
    return () => {
      live = false;
    };
  }, []);
  return (
    <details className="capabilities-box">
      <summary>
        This browser
        {capabilities === undefined
          ? ''
          : capabilities.map((c) => (
              <span key={c.name} className={`cap-dot capability-${c.status}`} title={`${c.name}: ${c.detail}`}>
                {c.name}
              </span>
            ))}
      </summary>
      {capabilities === undefined ? <p>Checking…</p> : <CapabilityList items={capabilities} />}
    </details>
  );
}

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
