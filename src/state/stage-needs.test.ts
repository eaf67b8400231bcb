import { describe, expect, it } from 'vitest';

import { parseRecipe } from '../recipe/parse';
import { stageNeeds, unfinishedRecipe } from './stage-needs';
import type { MergeStage } from '../recipe/types';

const slerp = (extra: Partial<MergeStage>): MergeStage => ({ mergeMethod: 'slerp', parameters: {}, models: [], ...extra });

describe('stageNeeds', () => {
  it('asks a fresh SLERP node for a base and a model, in canvas terms', () => {
    expect(stageNeeds(slerp({}))).toEqual(['wire a model into base', 'wire a model into models']);
    expect(unfinishedRecipe([slerp({})])).toBe('Finish the recipe on the canvas — the final merge: wire a model into base, wire a model into models.');
  });

  it('does not count the base listed among the models as one of them', () => {
    const base = { path: 'a/base' };
    expect(stageNeeds(slerp({ baseModel: base, models: [{ model: base, parameters: {} }] }))).toEqual(['wire a model into models']);
    expect(stageNeeds(slerp({ baseModel: base, models: [{ model: base, parameters: {} }, { model: { path: 'b/tuned' }, parameters: {} }] }))).toEqual([]);
  });

  it('finds a finished parsed recipe complete and names the unfinished stage of a multi-stage one', () => {
    const done = parseRecipe('merge_method: slerp\nbase_model: a/x\nmodels:\n  - model: a/x\n  - model: b/y\nparameters:\n  t: 0.5\n');
    expect(unfinishedRecipe(done.stages)).toBeUndefined();
    expect(unfinishedRecipe([{ ...slerp({}), name: 'component-1' }, ...done.stages])).toContain('component-1: wire a model into base');
  });
});
