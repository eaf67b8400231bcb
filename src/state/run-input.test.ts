import { describe, expect, it } from 'vitest';

import { canvasRunInput, isHubId, missingLocalFolders, recipeRunInput, sameRunInput } from './run-input';
import { createAppStore } from './store';

const RECIPE = `merge_method: slerp
base_model: my-local-base
models:
  - model: my-local-base
  - model: org/chat@v1+adapters/local-lora-folder
parameters:
  t: 0.5
`;

describe("the run input of the user's recipe", () => {
  it('tells Hub ids from local folder names', () => {
    expect(isHubId('org/model')).toBe(true);
    expect(isHubId('org/model@main')).toBe(true);
    expect(isHubId('my-local-base')).toBe(false);
  });

  it('names the local folders (models and adapters) a recipe reads that the page has no files for', () => {
    const file = new File(['{}'], 'config.json');
    expect(missingLocalFolders(RECIPE, {})).toEqual(['my-local-base']);
    const input = recipeRunInput(RECIPE, { 'my-local-base': { name: 'my-local-base', files: [file] } }, 'https://mirror.example', 'hf_secret');
    expect(missingLocalFolders(RECIPE, input.sources)).toEqual([]);
    expect(input.hub).toEqual({ endpoint: 'https://mirror.example', token: 'hf_secret' });
    expect(recipeRunInput(RECIPE, {}, 'https://huggingface.co', '').hub).toEqual({ endpoint: 'https://huggingface.co' });
  });

  it('reads the adapter of a LoRA on a merge output (stage+adapter), not a folder named like the stage', () => {
    const recipe = 'name: left\nmerge_method: passthrough\nmodels:\n  - model: org/a\n---\nmerge_method: passthrough\nmodels:\n  - model: left+my-adapter\n';
    expect(missingLocalFolders(recipe, {})).toEqual(['my-adapter']);
  });
});

describe('when the recipe on the canvas replaces the job\'s input', () => {
  const LOCAL = `merge_method: slerp
base_model: local-base
models:
  - model: local-base
  - model: local-tuned
parameters:
  t: 0.5
`;
  const folder = (name: string) => ({ name, files: [new File(['{}'], 'config.json'), new File(['w'], 'model.safetensors')] });

  /** A studio after a reload with the interrupted recipe on its canvas and no folders read yet. */
  function reloaded() {
    const store = createAppStore();
    store.getState().setYaml(LOCAL);
    return store;
  }

  it('keeps a resumed run\'s input once the canvas shows its reopened folders, also after the run ends', () => {
    const store = reloaded();
    const s = store.getState();
    // Right after the reload the canvas has no files for its folders: that input is set (the plan names them).
    const bare = canvasRunInput(s);
    expect(bare).toMatchObject({ recipeText: LOCAL, sources: {} });
    store.setState({ job: { ...s.job, input: bare as Exclude<typeof bare, 'keep' | undefined>, phase: 'idle' } });
    // The resume puts the reopened folders on the canvas and sets the input made from it.
    store.setState({ localFiles: { 'local-base': folder('local-base'), 'local-tuned': folder('local-tuned') } });
    const resumed = recipeRunInput(LOCAL, store.getState().localFiles, s.hubEndpoint, s.hubToken);
    expect(canvasRunInput(store.getState())).toEqual(resumed);
    for (const phase of ['planning', 'planned', 'running', 'done', 'cancelled', 'failed'] as const) {
      store.setState({ job: { ...store.getState().job, input: resumed, phase } });
      expect(canvasRunInput(store.getState()), phase).toBe('keep');
    }
  });

  it('replaces the input when the recipe, a folder\'s files or the Hub settings change, and clears it for a bad recipe', () => {
    const store = reloaded();
    const folders = { 'local-base': folder('local-base'), 'local-tuned': folder('local-tuned') };
    store.setState({ localFiles: folders });
    const first = canvasRunInput(store.getState());
    if (first === 'keep' || first === undefined) throw new Error('the canvas gives a run input');
    store.setState({ job: { ...store.getState().job, input: first, phase: 'done' } });
    expect(canvasRunInput(store.getState())).toBe('keep');
    // The same folder picked again: its files are new.
    const again = folder('local-tuned');
    store.setState({ localFiles: { ...folders, 'local-tuned': again } });
    expect(canvasRunInput(store.getState())).toMatchObject({ sources: { 'local-tuned': { files: again.files } } });
    store.setState({ localFiles: folders, hubToken: 'hf_other' });
    expect(canvasRunInput(store.getState())).toMatchObject({ hub: { token: 'hf_other' } });
    store.setState({ hubToken: '' });
    store.getState().setYaml(LOCAL.replace('t: 0.5', 't: 0.6'));
    expect(canvasRunInput(store.getState())).toMatchObject({ recipeText: LOCAL.replace('t: 0.5', 't: 0.6') });
    store.getState().setYaml('merge_method: [');
    expect(canvasRunInput(store.getState())).toBeUndefined();
  });
});

describe('run inputs compared', () => {
  it('match by recipe, origin, Hub access and the very same files of each source', () => {
    const files = [new File(['{}'], 'config.json')];
    const a = recipeRunInput(RECIPE, { 'my-local-base': { name: 'my-local-base', files } }, 'https://huggingface.co', '');
    expect(sameRunInput(a, recipeRunInput(RECIPE, { 'my-local-base': { name: 'my-local-base', files: [...files] } }, 'https://huggingface.co', ''))).toBe(true);
    expect(sameRunInput(a, recipeRunInput(RECIPE, { 'my-local-base': { name: 'my-local-base', files: [new File(['{}'], 'config.json')] } }, 'https://huggingface.co', ''))).toBe(false);
    expect(sameRunInput(a, recipeRunInput(RECIPE, {}, 'https://huggingface.co', ''))).toBe(false);
    expect(sameRunInput(a, recipeRunInput(RECIPE, { 'my-local-base': { name: 'my-local-base', files } }, 'https://huggingface.co', 'hf_x'))).toBe(false);
    expect(sameRunInput(a, { ...a, recipeText: `${RECIPE}# edited\n` })).toBe(false);
    expect(sameRunInput(a, { ...a, origin: 'demo' })).toBe(false);
  });
});
