import { Document } from 'yaml';
import type { ScalarTag } from 'yaml';

import { formatModelRef } from './model-ref';
import { pyFloat } from './pyyaml-numbers';
import type { MergeStage, ModelRef, ParameterSetting, Parameters, RecipeDocument, TokenizerSource } from './types';

/**
 * Floats with a mantissa dot and a signed exponent, because mergekit reads recipes with PyYAML, which takes `1e-4` for a
 * string (ecosystem.md §11). Placed before the built-in float tag, it wins for every non-integer number.
 */
const PY_FLOAT: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  identify: (value) => typeof value === 'number' && (!Number.isInteger(value) || String(value).includes('e')),
  // yaml only consults a custom scalar tag that has a `test` pattern; this one is PyYAML's float syntax.
  test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$/,
  resolve: (text) => Number(text),
  stringify: ({ value }) => pyFloat(value as number),
};

/** mergekit YAML for a recipe: one document, or `---`-separated documents with `name:` for multi-stage recipes. */
export function exportRecipe(recipe: Pick<RecipeDocument, 'stages'>): string {
  return recipe.stages
    .map((stage) => {
      const doc = new Document(stageToPlain(stage), { version: '1.1', customTags: (tags) => [PY_FLOAT, ...tags] });
      return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
    })
    .join('---\n');
}

function stageToPlain(stage: MergeStage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (stage.name !== undefined) out['name'] = stage.name;
  out['merge_method'] = stage.mergeMethod;
  if (stage.baseModel !== undefined) out['base_model'] = refToPlain(stage.baseModel);
  Object.assign(out, bodyToPlain(stage));
  if (stage.modules !== undefined) {
    out['modules'] = Object.fromEntries(
      Object.entries(stage.modules).map(([name, module]) => [name, { ...bodyToPlain(module), ...parametersEntry(module.parameters) }]),
    );
  }
  Object.assign(out, parametersEntry(stage.parameters));
  if (stage.dtype !== undefined) out['dtype'] = stage.dtype;
  if (stage.outDtype !== undefined) out['out_dtype'] = stage.outDtype;
  if (stage.tokenizer !== undefined) {
    const source = tokenizerSourceToPlain(stage.tokenizer.source);
    if (stage.tokenizerKey === 'tokenizer_source' && stage.tokenizer.padToMultipleOf === undefined) out['tokenizer_source'] = source;
    else out['tokenizer'] = { source, ...(stage.tokenizer.padToMultipleOf === undefined ? {} : { pad_to_multiple_of: stage.tokenizer.padToMultipleOf }) };
  }
  if (stage.chatTemplate !== undefined) out['chat_template'] = stage.chatTemplate;
  return out;
}

/** `models:` or `slices:` of a stage or module. */
function bodyToPlain(body: Pick<MergeStage, 'models' | 'slices'>): Record<string, unknown> {
  if (body.models !== undefined) return { models: body.models.map((m) => ({ model: refToPlain(m.model), ...parametersEntry(m.parameters) })) };
  if (body.slices === undefined) return {};
  return {
    slices: body.slices.map((slice) => ({
      sources: slice.sources.map((source) => ({
        model: refToPlain(source.model),
        ...(source.layerRange === undefined ? {} : { layer_range: [...source.layerRange] }),
        ...parametersEntry(source.parameters),
      })),
      ...(slice.baseModel === undefined ? {} : { base_model: refToPlain(slice.baseModel) }),
      ...parametersEntry(slice.parameters),
    })),
  };
}

function parametersEntry(parameters: Parameters): Record<string, unknown> {
  if (Object.keys(parameters).length === 0) return {};
  return { parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, settingToPlain(v)])) };
}

function settingToPlain(setting: ParameterSetting): unknown {
  return Array.isArray(setting) ? setting.map((item: unknown) => (typeof item === 'object' && item !== null ? { ...item } : item)) : setting;
}

function refToPlain(ref: ModelRef): unknown {
  if (ref.overrideArchitecture === undefined) return formatModelRef(ref);
  const path = (p: { path: string; revision?: string }) => (p.revision === undefined ? { path: p.path } : { path: p.path, revision: p.revision });
  return {
    model: path(ref),
    ...(ref.lora === undefined ? {} : { lora: path(ref.lora) }),
    override_architecture: ref.overrideArchitecture,
  };
}

function tokenizerSourceToPlain(source: TokenizerSource): unknown {
  return source.kind === 'model' ? refToPlain(source.model) : source.kind;
}
