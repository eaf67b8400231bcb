/**
 * Models the studio has read: per reference, whether its headers are loading, what they say (architecture, layers,
 * parameters, dtype, size, revision) or why they could not be read. The loaded `Model`s (with their folders) stay here
 * for the run side, which reads weights through them.
 */
import type { StateCreator } from 'zustand';

import { folderFromFiles } from '../io/model/browser-folder';
import { filesOfHandle, saveFolderHandle } from '../io/model/handle-store';
import { cachedHubFolder, cachedModel } from '../io/model/hub-cache';
import type { Model, ModelFolder } from '../io/model/types';
import { hubSettings } from '../io/source/hub-client';
import type { HubSettings } from '../io/source/hub-client';
import { listHubRefs } from '../io/source/hub-refs';
import type { HubRef } from '../io/source/hub-refs';
import { searchHubModels } from '../io/source/hub-search';
import { readAdapterFolder } from '../io/model/load-adapter';
import { parseLoraConfig } from '../plan/lora';
import type { LoadedAdapter } from '../plan/lora';
import type { HubModelHit } from '../io/source/hub-search';
import { splitLoraRef } from '../recipe/model-ref';
import { toAppError } from '../shared/errors';
import type { ErrorPayload } from '../shared/errors';
import { hintForSource } from './source-hints';
import { summariseAdapter, summariseModel } from './model-summary';
import type { AdapterSummary, ModelSummary } from './model-summary';
import type { ViewSlice } from './view-slice';

/** Something the studio reads from a folder's headers: loading, read (with `T`), or why it could not be read. */
type Tracked<T> =
  | { readonly status: 'loading'; readonly kind: 'hub' | 'local' }
  | ({ readonly status: 'ready'; readonly kind: 'hub' | 'local' } & T)
  | { readonly status: 'error'; readonly kind: 'hub' | 'local'; readonly error: ErrorPayload };

export type SourceEntry = Tracked<{ readonly summary: ModelSummary }>;

/** A LoRA adapter's headers and config (with the loaded adapter, for fit checks). */
export type AdapterEntry = Tracked<{ readonly summary: AdapterSummary; readonly adapter: LoadedAdapter }>;

/**
 * The model a reference reads its weights from: `repo@rev+adapter` is the model `repo@rev` with a LoRA baked in, so its
 * header facts are the model's.
 */
export function modelKeyOf(ref: string): string {
  return splitLoraRef(ref).model;
}

/** The source entry behind a reference (a `model+lora` reference shows its model's). */
export function sourceEntryOf(sources: Readonly<Record<string, SourceEntry>>, ref: string): SourceEntry | undefined {
  return sources[ref] ?? sources[modelKeyOf(ref)];
}

export interface SourcesSlice {
  readonly sources: Readonly<Record<string, SourceEntry>>;
  /** Loaded models by reference (not serialisable; read by the run side). */
  readonly models: Readonly<Record<string, Model>>;
  /** LoRA adapters by reference (`path[@revision]`, the part after "+"). */
  readonly adapters: Readonly<Record<string, AdapterEntry>>;
  /** The files of each local folder by reference: what a run hands to the engine worker. */
  readonly localFiles: Readonly<Record<string, { readonly name: string; readonly files: readonly File[] }>>;
  /** Reads a Hub repo's headers (`owner/name[@revision]`) with the view's endpoint and token. */
  loadHubModel(ref: string): Promise<void>;
  /** Reads a local folder's headers from the files of an `<input webkitdirectory>` or a drop; returns its reference. */
  loadLocalFiles(files: readonly File[], name?: string): Promise<string>;
  /** Reads a picked folder's headers and remembers its handle (IndexedDB) so a resumed run can read it again. */
  loadLocalHandle(handle: FileSystemDirectoryHandle): Promise<string>;
  /** Reads an adapter's headers and config: a local folder the studio has the files of, else a Hub repo. */
  loadAdapter(ref: string): Promise<void>;
  forgetSource(ref: string): void;
  /** Searches the configured Hub for safetensors models. */
  searchHub(query: string): Promise<HubModelHit[]>;
  /** A Hub repo's branches and tags, for the revision picker. */
  listRevisions(repo: string): Promise<HubRef[]>;
}

/** `https://huggingface.co/owner/name/tree/rev` or `owner/name@rev` → `owner/name@rev`; other text unchanged. */
export function repoIdFromInput(text: string): string {
  const trimmed = text.trim();
  const url = /^https?:\/\/[^/]+\/(?:models\/)?([^/\s]+\/[^/\s?#]+)(?:\/(?:tree|blob|resolve)\/([^/\s?#]+))?/.exec(trimmed);
  if (url === null) return trimmed;
  return url[2] === undefined || url[2] === 'main' ? (url[1] as string) : `${url[1]}@${url[2]}`;
}

/** The slice reads the Hub settings (endpoint, token) of the view slice beside it. */
export const createSourcesSlice: StateCreator<SourcesSlice & Pick<ViewSlice, 'hubEndpoint' | 'hubToken'>, [], [], SourcesSlice> = (set, get) => {
  /** Reads `ref` with `read`, keeping its entry (loading, ready, error) where `put` writes it. */
  const track = async <T,>(ref: string, kind: 'hub' | 'local', put: (entry: Tracked<T>) => void, read: () => Promise<T>) => {
    put({ status: 'loading', kind });
    try {
      put({ status: 'ready', kind, ...(await read()) });
    } catch (error) {
      put({ status: 'error', kind, error: hintForSource(toAppError(error, { model: ref }).toPayload(), kind) });
    }
  };
  const load = (ref: string, kind: 'hub' | 'local', open: () => Promise<ModelFolder>) =>
    track(ref, kind, (entry: SourceEntry) => set({ sources: { ...get().sources, [ref]: entry } }), async () => {
      const model = await cachedModel(await open());
      set({ models: { ...get().models, [ref]: model } });
      return { summary: { ...summariseModel(model), ref } };
    });
  const settings = (): HubSettings => {
    const { hubEndpoint, hubToken } = get();
    return hubSettings({ endpoint: hubEndpoint, ...(hubToken === '' ? {} : { token: hubToken }) });
  };
  /** A Hub repo at `owner/name[@revision]`, read with the view's endpoint and token. */
  const openHub = (ref: string) => {
    const [repo, revision] = ref.split('@') as [string, string | undefined];
    return cachedHubFolder(repo, revision, settings());
  };
  return {
    sources: {},
    models: {},
    adapters: {},
    localFiles: {},
    loadHubModel: (ref) => load(ref, 'hub', () => openHub(ref)),
    loadLocalFiles: async (files, name) => {
      const folder = folderFromFiles(files, name);
      set({ localFiles: { ...get().localFiles, [folder.ref]: { name: folder.ref, files } } });
      await load(folder.ref, 'local', () => Promise.resolve(folder));
      return folder.ref;
    },
    loadLocalHandle: async (handle) => {
      const ref = await get().loadLocalFiles(await filesOfHandle(handle), handle.name);
      // Without IndexedDB the folder is still read; a resume then asks for it by name.
      await saveFolderHandle(ref, handle).catch(() => undefined);
      return ref;
    },
    loadAdapter: (ref) => {
      const local = get().localFiles[ref];
      const put = (entry: AdapterEntry) => set({ adapters: { ...get().adapters, [ref]: entry } });
      return track(ref, local === undefined ? 'hub' : 'local', put, async () => {
        const folder = local === undefined ? await openHub(ref) : folderFromFiles(local.files, local.name);
        const { model, config } = await readAdapterFolder(folder, ref);
        const adapter: LoadedAdapter = { model, config: parseLoraConfig(config, ref) };
        return { summary: summariseAdapter(adapter), adapter };
      });
    },
    searchHub: (query) => searchHubModels(settings(), query),
    listRevisions: (repo) => listHubRefs(settings(), repo),
    forgetSource: (ref) => {
      const { [ref]: _source, ...sources } = get().sources;
      const { [ref]: _model, ...models } = get().models;
      const { [ref]: _files, ...localFiles } = get().localFiles;
      set({ sources, models, localFiles });
    },
  };
};
