/** Edits of a stage built from `slices:` (layer stacking), and the problems its layer ranges have. */
import { formatModelRef } from '../recipe/model-ref';
import type { MergeStage, Slice } from '../recipe/types';
import { refOf } from './model-edits';
import { labelOf } from './recipe-graph';
import type { EditableRecipe } from './recipe-graph';
import { mapStage, refuse } from './stage-edits';

/** A change to one source of a stage's slice: its model and/or its half-open layer range. */
export interface SliceSourceChange {
  readonly model?: string;
  readonly layerRange?: readonly [number, number];
}

function mapSlices(recipe: EditableRecipe, index: number, change: (slices: readonly Slice[]) => readonly Slice[]): EditableRecipe {
  return mapStage(recipe, index, (stage) => {
    if (stage.slices === undefined) refuse(`${labelOf(stage, index)} is not built from slices.`, 'Write `slices:` in the YAML panel to stack layers.');
    return { ...stage, slices: change(stage.slices) };
  });
}

/** Sets one slice source's model or layer range (`layer_range: [start, end)` in the YAML). */
export function setSliceSource(recipe: EditableRecipe, index: number, slice: number, source: number, change: SliceSourceChange): EditableRecipe {
  return mapSlices(recipe, index, (slices) =>
    slices.map((s, i) =>
      i !== slice
        ? s
        : {
            ...s,
            sources: s.sources.map((src, j) =>
              j !== source
                ? src
                : { ...src, ...(change.model === undefined ? {} : { model: refOf(change.model) }), ...(change.layerRange === undefined ? {} : { layerRange: change.layerRange }) },
            ),
          },
    ),
  );
}

/** Appends a slice: the last slice's first source, continuing where its range ends (`length` layers). */
export function addSlice(recipe: EditableRecipe, index: number, length = 4): EditableRecipe {
  return mapSlices(recipe, index, (slices) => {
    const last = slices[slices.length - 1]?.sources[0];
    if (last === undefined) refuse('There is no slice to continue from.', 'Write the first slice in the YAML panel.');
    const start = last.layerRange?.[1] ?? 0;
    return [...slices, { sources: [{ model: last.model, layerRange: [start, start + length], parameters: {} }], parameters: {} }];
  });
}

export function removeSlice(recipe: EditableRecipe, index: number, slice: number): EditableRecipe {
  return mapSlices(recipe, index, (slices) => {
    if (slices.length <= 1) refuse('A stage built from slices needs at least one slice.', 'Delete the merge instead.');
    return slices.filter((_, i) => i !== slice);
  });
}

/**
 * What is wrong with a stage's slices, given each model's layer count where its headers are read: a range must be
 * `0 ≤ start < end ≤ layers`, and the sources of one slice must span the same number of layers.
 */
export function sliceProblems(stage: MergeStage, layersOf: (ref: string) => number | undefined): string[] {
  const problems: string[] = [];
  (stage.slices ?? []).forEach((slice, i) => {
    const spans = new Set<number>();
    for (const source of slice.sources) {
      const ref = formatModelRef(source.model);
      const layers = layersOf(ref);
      const [start, end] = source.layerRange ?? [0, layers ?? 0];
      if (source.layerRange !== undefined) {
        if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) problems.push(`Slice ${i + 1}: ${ref} [${start}, ${end}) is not a layer range (needs 0 ≤ start < end).`);
        else if (layers !== undefined && end > layers) problems.push(`Slice ${i + 1}: ${ref} has ${layers} layers, so the range [${start}, ${end}) runs past its end.`);
      }
      spans.add(end - start);
    }
    if (spans.size > 1) problems.push(`Slice ${i + 1}: its sources span different numbers of layers (${[...spans].join(', ')}).`);
  });
  return problems;
}
