import type { Model } from '../io/model/types';
import { getMethod } from '../methods/registry';
import { formatModelRef } from '../recipe/model-ref';
import type { ModelRef, RecipeDocument } from '../recipe/types';
import { gradientSection } from './card-gradient';
import type { CardTensor } from './card-gradient';

export interface ModelCardInput {
  readonly recipe: RecipeDocument;
  readonly recipeText: string;
  readonly models: ReadonlyMap<string, Model>;
  readonly outputName: string;
  /** The output tensors with their resolved parameters, for the per-layer gradient table (left out when absent). */
  readonly tensors?: readonly CardTensor[];
}

/**
 * README.md in mergekit's shape (mergekit-spec §6.4): front matter listing every Hub parent (with the revision that
 * was merged) and every LoRA adapter as `base_model`, tags `merge`, the method with its reference, the models, the
 * per-layer parameter table when parameters change with depth, and the recipe. Local paths are not listed as parents
 * (they mean nothing to a reader of the card). Measurements are added at publish time (`card-extras.ts`).
 */
export function modelCard(input: ModelCardInput): string {
  const final = input.recipe.stages[input.recipe.final];
  const refs = input.recipe.stages.flatMap((stage) => [
    ...(stage.baseModel === undefined ? [] : [stage.baseModel]),
    ...(stage.models ?? []).map((m) => m.model),
  ]);
  const stageNames = new Set(input.recipe.stages.flatMap((s) => (s.name === undefined ? [] : [s.name])));
  const hubParents = new Set<string>();
  for (const ref of refs) {
    if (stageNames.has(ref.path)) continue;
    for (const path of [ref.path, ...(ref.lora === undefined ? [] : [ref.lora.path])]) if (looksLikeRepoId(path)) hubParents.add(path);
  }
  const revision = (ref: ModelRef) => [...input.models.values()].find((m) => m.ref === ref.path)?.revision;
  const method = final === undefined ? undefined : getMethod(final.mergeMethod);
  const base = final?.baseModel;
  const others = (final?.models ?? []).map((m) => m.model).filter((ref) => final?.mergeMethod === 'slerp' || base === undefined || formatModelRef(ref) !== formatModelRef(base));
  const link = (ref: ModelRef) => {
    const text = formatModelRef(ref);
    const rev = revision(ref);
    const pinned = rev === undefined ? '' : ` (revision \`${rev.slice(0, 12)}\`)`;
    return looksLikeRepoId(ref.path) ? `[${text}](https://huggingface.co/${ref.path})${pinned}` : `${text}${pinned}`;
  };
  const lines = [
    '---',
    ...(hubParents.size === 0 ? [] : ['base_model:', ...[...hubParents].sort().map((p) => `- ${p}`)]),
    'library_name: transformers',
    'tags:',
    '- mergekit',
    '- merge',
    '- merge-studio',
    '---',
    `# ${input.outputName}`,
    '',
    'This is a merge of pre-trained language models, made with Merge Studio from a [mergekit](https://github.com/arcee-ai/mergekit) recipe.',
    '',
    '## Merge Details',
    '### Merge Method',
    '',
    method === undefined
      ? ''
      : `This model was merged using the [${method.label}](${method.referenceUrl}) merge method${base !== undefined && method.id !== 'slerp' ? ` using ${link(base)} as a base` : ''}.`,
    '',
    '### Models Merged',
    '',
    'The following models were included in the merge:',
    ...others.map((ref) => `* ${link(ref)}`),
    '',
    ...gradientSection(input.tensors ?? []),
    '### Configuration',
    '',
    'The following YAML configuration was used to produce this model:',
    '',
    '```yaml',
    input.recipeText.trimEnd(),
    '```',
    '',
  ];
  return lines.join('\n');
}

/** An HF repo id: `owner/name`, not a path (mergekit-spec §6.4). */
function looksLikeRepoId(path: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(path) && !path.startsWith('.');
}
