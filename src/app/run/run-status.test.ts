import { describe, expect, it } from 'vitest';

import { initialProgress } from '../../state/job-progress';
import type { JobState, RunInput } from '../../state/job-slice';
import { createAppStore } from '../../state/store';
import { runStatus } from './run-status';

const idle: JobState = createAppStore().getState().job;
const recipeInput: RunInput = { recipeText: 'merge_method: slerp\n', sources: {}, hub: { endpoint: 'https://huggingface.co' }, origin: 'recipe' };

describe('runStatus', () => {
  it('says what the canvas needs instead of the planner error, with no YAML line numbers', () => {
    const planError = { code: 'E_RECIPE_INVALID' as const, message: 'Line 2: models is empty.', context: { line: 2, column: 9 } };
    const job: JobState = { ...idle, input: recipeInput, planError };
    const needs = 'Finish the recipe on the canvas — the final merge: wire a model into base.';
    expect(runStatus(job, false, needs)).toEqual({ tone: 'warn', text: needs });
    // A finished recipe that still does not plan: the message, its "Line 2:" left to the YAML panel.
    expect(runStatus(job, false, undefined).text).toBe('The recipe cannot be planned: models is empty.');
  });

  it('shows phase, percent, tensors and ETA while merging', () => {
    const progress = { ...initialProgress(undefined), tensorsDone: 12, tensorCount: 40, bytesDone: 250, bytesTotal: 1000, etaSeconds: 3.2, started: true };
    expect(runStatus({ ...idle, input: recipeInput, phase: 'running', progress }, false, undefined)).toEqual({
      tone: 'busy',
      text: 'Merging · 25 % · 12 / 40 tensors · ETA 3.2 s',
    });
  });
});
