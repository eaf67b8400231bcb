/** The small files written beside the shards: config.json, the tokenizer files, the recipe and the model card. */
import type { Model } from '../io/model/types';
import type { MergeStage } from '../recipe/types';
import { configValue, layerCountOf } from './architectures';
import { resolveChatTemplate } from './chat-templates';
import type { CompileInput } from './compile-input';
import { inputKey } from './references';
import { modelCard } from './model-card';
import type { StageLayouts } from './stage-layout';
import type { PlannedFile, TensorExpr } from './types';

/**
 * config.json (the donor's, with the output's dtype, layer count and vocabulary size), the tokenizer files (the
 * donor's or the `tokenizer_source` model's, with the chat template patched in), mergekit_config.yml and README.md.
 * What the user should check is pushed onto `warnings`.
 */
export function outputFiles(
  input: CompileInput,
  layouts: StageLayouts,
  produced: readonly { name: string; shape: readonly number[]; expr: TensorExpr }[],
  warnings: string[],
): PlannedFile[] {
  const final = input.recipe.stages[input.recipe.final] as MergeStage;
  const donor = layouts.donorModel(input.recipe.final);
  const files: PlannedFile[] = [{ name: 'config.json', kind: 'text', text: `${JSON.stringify(outputConfig(input, layouts, donor, produced, warnings), null, 2)}\n` }];
  const tokenizerModel = final.tokenizer?.source.kind === 'model' ? layouts.model(final.tokenizer.source.model) : donor;
  const tokenizerKey = final.tokenizer?.source.kind === 'model' ? inputKey(final.tokenizer.source.model) : layouts.donorKey();
  const chatTemplate = final.chatTemplate === undefined ? undefined : resolveChatTemplate(final.chatTemplate);
  for (const path of tokenizerModel.tokenizerFiles) {
    const size = tokenizerModel.files.find((f) => f.path === path)?.size ?? 0;
    const patch = chatTemplate !== undefined && path === 'tokenizer_config.json' ? { jsonPatch: { chat_template: chatTemplate } } : {};
    files.push({ name: path, kind: 'copy', input: tokenizerKey, path, bytes: size + (chatTemplate?.length ?? 0), ...patch });
  }
  if (chatTemplate !== undefined && !tokenizerModel.tokenizerFiles.includes('tokenizer_config.json')) {
    files.push({ name: 'tokenizer_config.json', kind: 'text', text: `${JSON.stringify({ chat_template: chatTemplate }, null, 2)}\n` });
  }
  files.push({ name: 'mergekit_config.yml', kind: 'text', text: input.recipeText });
  files.push({
    name: 'README.md',
    kind: 'text',
    text: modelCard({ recipe: input.recipe, recipeText: input.recipeText, models: input.models, outputName: input.outputName ?? 'merged-model', tensors: produced }),
  });
  return files;
}

function outputConfig(
  input: CompileInput,
  layouts: StageLayouts,
  donor: Model,
  produced: readonly { name: string; shape: readonly number[]; expr: TensorExpr }[],
  warnings: string[],
): Record<string, unknown> {
  const final = input.recipe.stages[input.recipe.final] as MergeStage;
  const config: Record<string, unknown> = structuredClone({ ...(donor.config ?? {}) });
  const outDtype = final.outDtype ?? final.dtype;
  if (outDtype !== undefined) config['torch_dtype'] = outDtype;
  const layout = layouts.layout(input.recipe.final);
  const layers = layout.layers;
  if (layers !== layerCountOf(donor) || layout.fromSlices) {
    if (layout.arch.layerCountKey === undefined) {
      warnings.push(`The output has ${layers} layers, but the architecture is not known, so config.json's layer count is left as the donor's (as mergekit does): check it before loading the model.`);
    } else setConfigValue(config, layout.arch.layerCountKey, layers);
  }
  const embedding = produced.find((t) => layout.arch.isEmbedding(t.name));
  const vocab = configValue(config, layout.arch.vocabSizeKey);
  if (embedding !== undefined && typeof vocab === 'number' && embedding.shape[0] !== vocab) {
    setConfigValue(config, layout.arch.vocabSizeKey, embedding.shape[0]);
    warnings.push(`config.json's ${layout.arch.vocabSizeKey} is set to ${embedding.shape[0]}, the rows of the merged embeddings (the donor says ${vocab}); the tokenizer is the donor's.`);
  }
  return config;
}

function setConfigValue(config: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = config;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null) return;
    target = next as Record<string, unknown>;
  }
  target[keys.at(-1) as string] = value;
}
