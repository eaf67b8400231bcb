/**
 * Pure edits of the recipe being built on the canvas: stages plus the models the user added but has not wired yet.
 * Every function returns a new value (or throws an `AppError` saying why an edit is refused); the recipe slice keeps
 * the history and the YAML text in step. This module is the edit API the recipe slice calls; the edits live by what
 * they change: `recipe-graph` (reading the recipe), `model-edits`, `lora-edits`, `stage-edits` and `slice-edits`.
 */
export { EMPTY_RECIPE, allModelRefs, distinctInputs, labelOf, stageIndexOf, stageInputs, toDocument } from './recipe-graph';
export type { EditableRecipe, InputRole, WireSource } from './recipe-graph';
export { addModel, removeModel, replaceModelRef, setRevision } from './model-edits';
export { addLoraNode, attachLora, detachLora, rebaseLora, rebaseLoraOnStage, removeLoraNode } from './lora-edits';
export { addStage, connect, disconnect, removeStage, setMethod, setParameter, stageParameters } from './stage-edits';
export { addSlice, removeSlice, setSliceSource, sliceProblems } from './slice-edits';
export type { SliceSourceChange } from './slice-edits';
