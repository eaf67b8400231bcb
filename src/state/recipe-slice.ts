/**
 * The recipe being edited: stages (as the YAML says), models placed on the canvas but not wired yet, node positions,
 * the YAML text in two-way sync (a parse error keeps the last good recipe), and undo/redo over the recipe.
 */
import type { StateCreator } from 'zustand';

import { exportRecipe } from '../recipe/export';
import { parseRecipe } from '../recipe/parse';
import type { ParameterSetting, RecipeDocument } from '../recipe/types';
import { toAppError } from '../shared/errors';
import type { ErrorPayload } from '../shared/errors';
import * as edit from './recipe-edit';
import type { EditableRecipe, InputRole, WireSource } from './recipe-edit';

export interface XY {
  readonly x: number;
  readonly y: number;
}

/** Undo history is capped; YAML typing within this window folds into one step. */
const HISTORY_LIMIT = 100;
const TYPING_MERGE_MS = 1500;

export interface RecipeSlice {
  readonly recipe: RecipeDocument;
  readonly looseModels: readonly string[];
  /** The YAML panel's text: what the user typed, or the export of the last canvas edit. */
  readonly yamlText: string;
  /** Why `yamlText` does not parse (the recipe stays at the last good one). */
  readonly yamlError: ErrorPayload | undefined;
  /** Canvas node positions by node id; not part of the undo history. */
  readonly positions: Readonly<Record<string, XY>>;
  readonly past: readonly EditableRecipe[];
  readonly future: readonly EditableRecipe[];
  /** Replaces the recipe from YAML text (typing, paste or file). Returns whether it parsed. */
  setYaml(text: string): boolean;
  addModel(ref: string): void;
  removeModel(ref: string): void;
  /** Adds a merge node; returns its stage index. */
  addStage(methodId: string): number;
  removeStage(index: number): void;
  /** Throws an `AppError` with the reason when the wire is refused. */
  connect(source: WireSource, target: number, role: InputRole): void;
  disconnect(target: number, ref: string): void;
  /** `ref` becomes `ref+adapter` (in stage `target` only, when given). Throws an `AppError` for a bad adapter id. */
  attachLora(ref: string, adapter: string, target?: number): void;
  /** `model+lora` back to the plain model. */
  detachLora(ref: string, target?: number): void;
  /** A LoRA node (`model+adapter`, not wired yet). Throws an `AppError` for a bad model or adapter id. */
  addLoraNode(model: string, adapter: string): void;
  /** The LoRA node `loraRef` bakes into `model` from now on. */
  rebaseLora(loraRef: string, model: string): void;
  /** The LoRA node `loraRef` bakes into stage `index`'s output from now on. */
  rebaseLoraOnStage(loraRef: string, index: number): void;
  /** Deletes LoRA node `loraRef` and its wires. */
  removeLoraNode(loraRef: string): void;
  /** `repo@revision`; undefined or '' for the default branch. */
  setRevision(ref: string, revision: string | undefined): void;
  setMethod(index: number, methodId: string): void;
  /** On the stage, or on one input's entry when `model` is given; `undefined` removes it. */
  setParameter(index: number, name: string, value: ParameterSetting | undefined, model?: string): void;
  /** One slice source's model or layer range; throws an `AppError` when the stage has no slices. */
  setSliceSource(index: number, slice: number, source: number, change: edit.SliceSourceChange): void;
  addSlice(index: number): void;
  removeSlice(index: number, slice: number): void;
  setPosition(id: string, position: XY): void;
  undo(): void;
  redo(): void;
}

function current(state: RecipeSlice): EditableRecipe {
  return { stages: state.recipe.stages, looseModels: state.looseModels };
}

function exportText(recipe: EditableRecipe): string {
  return recipe.stages.length === 0 ? '' : exportRecipe(recipe);
}

export const createRecipeSlice: StateCreator<RecipeSlice> = (set, get) => {
  let lastTyping = 0;
  /** Applies an edit: the old recipe goes on the undo stack, the redo stack is cleared. */
  const commit = (next: EditableRecipe, yamlText = exportText(next), typing = false) => {
    const state = get();
    const now = Date.now();
    const fold = typing && now - lastTyping < TYPING_MERGE_MS && state.past.length > 0;
    lastTyping = typing ? now : 0;
    set({
      recipe: edit.toDocument(next.stages),
      looseModels: next.looseModels,
      yamlText,
      yamlError: undefined,
      past: fold ? state.past : [...state.past, current(state)].slice(-HISTORY_LIMIT),
      future: [],
    });
  };
  const apply = (change: (recipe: EditableRecipe) => EditableRecipe) => commit(change(current(get())));

  return {
    recipe: edit.toDocument([]),
    looseModels: [],
    yamlText: '',
    yamlError: undefined,
    positions: {},
    past: [],
    future: [],
    setYaml: (text) => {
      if (text.trim() === '') {
        commit({ stages: [], looseModels: edit.allModelRefs(current(get())) }, text, true);
        return true;
      }
      try {
        const parsed = parseRecipe(text);
        const next = { stages: parsed.stages, looseModels: [] as string[] };
        // Models the user placed but has not wired stay on the canvas.
        const used = new Set(edit.allModelRefs(next));
        commit({ ...next, looseModels: get().looseModels.filter((r) => !used.has(r)) }, text, true);
        set({ recipe: { ...parsed } });
        return true;
      } catch (error) {
        set({ yamlText: text, yamlError: toAppError(error).toPayload() });
        return false;
      }
    },
    addModel: (ref) => apply((r) => edit.addModel(r, ref)),
    removeModel: (ref) => apply((r) => edit.removeModel(r, ref)),
    addStage: (methodId) => {
      const { recipe, index } = edit.addStage(current(get()), methodId);
      commit(recipe);
      return index;
    },
    removeStage: (index) => apply((r) => edit.removeStage(r, index)),
    connect: (source, target, role) => apply((r) => edit.connect(r, source, target, role)),
    disconnect: (target, ref) => apply((r) => edit.disconnect(r, target, ref)),
    attachLora: (ref, adapter, target) => apply((r) => edit.attachLora(r, ref, adapter, target)),
    detachLora: (ref, target) => apply((r) => edit.detachLora(r, ref, target)),
    addLoraNode: (model, adapter) => apply((r) => edit.addLoraNode(r, model, adapter)),
    rebaseLora: (loraRef, model) => apply((r) => edit.rebaseLora(r, loraRef, model)),
    rebaseLoraOnStage: (loraRef, index) => apply((r) => edit.rebaseLoraOnStage(r, loraRef, index)),
    removeLoraNode: (loraRef) => apply((r) => edit.removeLoraNode(r, loraRef)),
    setRevision: (ref, revision) => apply((r) => edit.setRevision(r, ref, revision)),
    setMethod: (index, methodId) => apply((r) => edit.setMethod(r, index, methodId)),
    setParameter: (index, name, value, model) => apply((r) => edit.setParameter(r, index, name, value, model)),
    setSliceSource: (index, slice, source, change) => apply((r) => edit.setSliceSource(r, index, slice, source, change)),
    addSlice: (index) => apply((r) => edit.addSlice(r, index)),
    removeSlice: (index, slice) => apply((r) => edit.removeSlice(r, index, slice)),
    setPosition: (id, position) => set({ positions: { ...get().positions, [id]: position } }),
    undo: () => {
      const state = get();
      const previous = state.past[state.past.length - 1];
      if (previous === undefined) return;
      lastTyping = 0;
      set({
        recipe: edit.toDocument(previous.stages),
        looseModels: previous.looseModels,
        yamlText: exportText(previous),
        yamlError: undefined,
        past: state.past.slice(0, -1),
        future: [current(state), ...state.future],
      });
    },
    redo: () => {
      const state = get();
      const next = state.future[0];
      if (next === undefined) return;
      lastTyping = 0;
      set({
        recipe: edit.toDocument(next.stages),
        looseModels: next.looseModels,
        yamlText: exportText(next),
        yamlError: undefined,
        past: [...state.past, current(state)],
        future: state.future.slice(1),
      });
    },
  };
};
