import { describe, expect, it } from 'vitest';

import { isHubId, missingLocalFolders, recipeRunInput } from './run-input';

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
});
