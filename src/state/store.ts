/**
 * The studio's one store, made per app root by {@link createAppStore} from typed slices: `recipe` (the document being
 * edited), `sources` (model headers), `view` (selection, Hub settings), `layout` (open panels), `measurements` (lens and perplexity for the card) — and `job` (a run: its input, output, plan, progress and result). The recipe is
 * autosaved to storage; a `#recipe=` permalink in the page URL wins over the autosave when the app opens.
 */
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';

import { toAppError } from '../shared/errors';
import { loraProblem, wireProblem } from './compatibility';
import { stageLoraProblem } from './stage-lora-fit';
import { decodePermalink, encodePermalink } from './permalink';
import { createRecipeSlice } from './recipe-slice';
import type { RecipeSlice, XY } from './recipe-slice';
import type { InputRole, WireSource } from './recipe-graph';
import { createSourcesSlice, modelKeyOf } from './sources-slice';
import { splitLoraRef } from '../recipe/model-ref';
import type { SourcesSlice } from './sources-slice';
import { jobSlice } from './job-slice';
import type { JobDeps, JobSlice } from './job-slice';
import { STORAGE_KEYS, createViewSlice } from './view-slice';
import type { ViewSlice } from './view-slice';
import { createLayoutSlice } from './layout-slice';
import type { LayoutSlice } from './layout-slice';
import { createMeasurementsSlice } from './measurements-slice';
import type { MeasurementsSlice } from './measurements-slice';

/** Edits that need more than one slice. */
export interface StudioActions {
  /**
   * Wires `source` into stage `target` unless the loaded headers say the models cannot merge or the recipe refuses
   * the edit; returns the reason it was refused (also left in `notice`), or undefined when it was made.
   */
  wire(source: WireSource, target: number, role: InputRole): string | undefined;
  /**
   * Puts adapter `adapter` on model `model`: on its input to stage `target`, else as a new LoRA node. Refused (the
   * reason returned and left in `notice`) when the headers say the adapter does not fit the model.
   */
  addLora(model: string, adapter: string, target?: number): string | undefined;
  /** Wires `model` into LoRA node `loraRef`, refused with the reason when the adapter does not fit it. */
  wireLora(model: string, loraRef: string): string | undefined;
  /** Wires merge `index`'s output into LoRA node `loraRef`, refused with the reason when the adapter does not fit it. */
  wireStageLora(index: number, loraRef: string): string | undefined;
  /** The page URL with the recipe in its hash (never the token). */
  permalink(base: string): string;
}

export type AppState = RecipeSlice & SourcesSlice & ViewSlice & LayoutSlice & JobSlice & MeasurementsSlice & StudioActions;

export type AppStore = StoreApi<AppState>;

export interface StoreEnvironment {
  /** Where the recipe autosave (and, if the user opts in, the token) lives; undefined: nothing is saved. */
  readonly storage?: Storage | undefined;
  /** The page URL: `?hub=` sets the endpoint, `#recipe=` the recipe. */
  readonly url?: string | undefined;
  /** The run side: the engine client and where an interrupted run is remembered. */
  readonly job?: JobDeps | undefined;
}

interface Autosave {
  readonly yaml: string;
  readonly looseModels: readonly string[];
  readonly positions: Readonly<Record<string, XY>>;
}

export function createAppStore(env: StoreEnvironment = {}): AppStore {
  const { storage, url } = env;
  const store = createStore<AppState>()((...args) => {
    const [set, get] = args;
    /** Makes `edit` unless there is already a `reason` against it or it throws one; the reason goes to `notice`. */
    const attempt = (reason: string | undefined, edit: () => void): string | undefined => {
      let why = reason;
      if (why === undefined) {
        try {
          edit();
        } catch (error) {
          const e = toAppError(error);
          why = e.hint === undefined ? e.message : `${e.message} ${e.hint}`;
        }
      }
      set({ notice: why });
      return why;
    };
    return {
      ...createRecipeSlice(...args),
      ...createSourcesSlice(...args),
      ...createViewSlice(storage, url)(...args),
      ...createLayoutSlice(storage)(...args),
      ...jobSlice<AppState>(env.job)(...args),
      ...createMeasurementsSlice(...args),
      wire: (source, target, role) => {
        const state = get();
        const reason = (source.kind === 'model' ? loraProblem(state.models, state.adapters, source.ref, state.recipe.stages) : undefined) ?? wireProblem(state.recipe.stages, state.sources, source, target, role);
        return attempt(reason, () => state.connect(source, target, role));
      },
      addLora: (model, adapter, target) => {
        const state = get();
        const reason = loraProblem(state.models, state.adapters, `${modelKeyOf(model)}+${adapter.trim()}`);
        return attempt(reason, () => (target === undefined ? state.addLoraNode(model, adapter) : state.attachLora(model, adapter, target)));
      },
      wireLora: (model, loraRef) => {
        const state = get();
        const { lora } = splitLoraRef(loraRef);
        const reason = lora === undefined ? undefined : loraProblem(state.models, state.adapters, `${model}+${lora}`);
        return attempt(reason, () => state.rebaseLora(loraRef, model));
      },
      wireStageLora: (index, loraRef) => {
        const state = get();
        const { lora } = splitLoraRef(loraRef);
        const reason = lora === undefined ? undefined : stageLoraProblem(state.recipe.stages, state.models, state.adapters, index, lora);
        return attempt(reason, () => state.rebaseLoraOnStage(loraRef, index));
      },
      permalink: (base) => `${base.split('#')[0]}${encodePermalink(get().yamlText)}`,
    };
  });
  restore(store, storage, url);
  // A new run makes a new merge: what was measured about the previous one no longer describes it.
  store.subscribe((state, previous) => {
    if (state.job.phase === 'running' && previous.job.phase !== 'running') state.forgetOutputMeasurements();
  });
  if (storage !== undefined) {
    store.subscribe((state, previous) => {
      if (state.yamlText === previous.yamlText && state.looseModels === previous.looseModels && state.positions === previous.positions) return;
      const saved: Autosave = { yaml: state.yamlText, looseModels: state.looseModels, positions: state.positions };
      try {
        storage.setItem(STORAGE_KEYS.recipe, JSON.stringify(saved));
      } catch {
        // storage full or disabled: autosave is best effort
      }
    });
  }
  return store;
}

/** Opens the permalink's recipe, else the autosaved one; the opening state is not an undo step. */
function restore(store: AppStore, storage: Storage | undefined, url: string | undefined): void {
  const linked = url === undefined ? undefined : decodePermalink(new URL(url).hash);
  let saved: Autosave | undefined;
  try {
    const text = storage?.getItem(STORAGE_KEYS.recipe);
    saved = text === null || text === undefined ? undefined : (JSON.parse(text) as Autosave);
  } catch {
    saved = undefined;
  }
  const yaml = linked ?? saved?.yaml;
  if (yaml === undefined) return;
  const state = store.getState();
  state.setYaml(yaml);
  for (const ref of linked === undefined ? (saved?.looseModels ?? []) : []) store.getState().addModel(ref);
  store.setState({ past: [], future: [], positions: saved?.positions ?? {} });
}
