/** One YAML document of a recipe read into a {@link MergeStage}: its method, models or slices or modules, dtype and tokenizer. */
import { isScalar } from 'yaml';
import type { Node } from 'yaml';

import type { InputModel, MergeStage, ModuleRecipe, Slice, SliceSource, TokenizerSource, TorchDType } from './types';
import { readModelRef, readParameters } from './read-values';
import type { YamlReader } from './yaml-reader';

const STAGE_KEYS = [
  'name',
  'merge_method',
  'base_model',
  'models',
  'slices',
  'modules',
  'parameters',
  'dtype',
  'out_dtype',
  'tokenizer_source',
  'tokenizer',
  'chat_template',
] as const;
const MODEL_KEYS = ['model', 'parameters'] as const;
const MODULE_KEYS = ['models', 'slices', 'parameters'] as const;
const SLICE_KEYS = ['sources', 'parameters', 'base_model', 'residual_weight'] as const;
const SOURCE_KEYS = ['model', 'layer_range', 'parameters'] as const;
const TOKENIZER_KEYS = ['source', 'tokens', 'pad_to_multiple_of'] as const;

const DTYPES: Readonly<Record<string, TorchDType>> = {
  float32: 'float32',
  float16: 'float16',
  bfloat16: 'bfloat16',
  'torch.float32': 'float32',
  'torch.float16': 'float16',
  'torch.bfloat16': 'bfloat16',
};

/** A stage at recipe path `path` (its index); `documentNumber` names it in messages when the recipe has several. */
export function readStage(r: YamlReader, node: Node, path: string, documentNumber: number | undefined): MergeStage {
  const where = documentNumber === undefined ? 'the recipe' : `document ${documentNumber}`;
  const map = r.map(node, where, STAGE_KEYS);
  r.mark(path, node);
  const get = (key: (typeof STAGE_KEYS)[number]) => map.get(key);
  const methodNode = get('merge_method');
  if (methodNode === undefined) r.fail(node, `${where} has no merge_method.`, 'Add merge_method: slerp (or linear, ties, …).');
  const mergeMethod = r.string(methodNode, 'merge_method');
  r.mark(`${path}/merge_method`, methodNode);
  const models = get('models');
  const slices = get('slices');
  const modules = get('modules');
  if ([models, slices, modules].filter((n) => n !== undefined).length !== 1) {
    r.fail(node, `${where} must have exactly one of models:, slices: and modules:.`, 'Use models: for whole-model merges, slices: to pick layer ranges.');
  }
  const stage: MergeStage = {
    ...(get('name') === undefined ? {} : { name: r.string(get('name') as Node, 'name') }),
    mergeMethod,
    ...(get('base_model') === undefined ? {} : { baseModel: readModelRef(r, get('base_model') as Node, `${path}/base_model`) }),
    ...(models === undefined ? {} : { models: readModels(r, models, path) }),
    ...(slices === undefined ? {} : { slices: readSlices(r, slices, path) }),
    ...(modules === undefined ? {} : { modules: readModules(r, modules, path) }),
    parameters: readParameters(r, get('parameters'), `${path}/parameters`),
    ...(get('dtype') === undefined ? {} : { dtype: readDtype(r, get('dtype') as Node, 'dtype') }),
    ...(get('out_dtype') === undefined ? {} : { outDtype: readDtype(r, get('out_dtype') as Node, 'out_dtype') }),
    ...readTokenizer(r, get('tokenizer_source'), get('tokenizer'), path),
    ...(get('chat_template') === undefined ? {} : { chatTemplate: r.string(get('chat_template') as Node, 'chat_template') }),
  };
  return stage;
}

function readModules(r: YamlReader, node: Node, path: string): Record<string, ModuleRecipe> {
  const out: Record<string, ModuleRecipe> = {};
  for (const [name, value] of r.map(node, 'modules', undefined)) {
    const module = r.map(value, `modules.${name}`, MODULE_KEYS);
    const modulePath = `${path}/modules/${name}`;
    r.mark(modulePath, value);
    const models = module.get('models');
    const slices = module.get('slices');
    if ((models === undefined) === (slices === undefined)) {
      r.fail(value, `modules.${name} must have exactly one of models: and slices:.`, 'Each module lists its own models or slices.');
    }
    out[name] = {
      ...(models === undefined ? {} : { models: readModels(r, models, modulePath) }),
      ...(slices === undefined ? {} : { slices: readSlices(r, slices, modulePath) }),
      parameters: readParameters(r, module.get('parameters'), `${modulePath}/parameters`),
    };
  }
  return out;
}

function readModels(r: YamlReader, node: Node, path: string): InputModel[] {
  r.mark(`${path}/models`, node);
  return r.seq(node, 'models', true).map((item, i) => {
    const entry = r.map(item, `models[${i}]`, MODEL_KEYS);
    const model = entry.get('model');
    if (model === undefined) r.fail(item, `models[${i}] has no model.`, 'Write - model: owner/name.');
    r.mark(`${path}/models/${i}`, item);
    return {
      model: readModelRef(r, model, `${path}/models/${i}/model`),
      parameters: readParameters(r, entry.get('parameters'), `${path}/models/${i}/parameters`),
    };
  });
}

function readSlices(r: YamlReader, node: Node, path: string): Slice[] {
  return r.seq(node, 'slices', true).map((item, s) => {
    const entry = r.map(item, `slices[${s}]`, SLICE_KEYS);
    const sourcesNode = entry.get('sources');
    if (sourcesNode === undefined) r.fail(item, `slices[${s}] has no sources.`, 'Each slice lists its sources with model and layer_range.');
    r.mark(`${path}/slices/${s}`, item);
    const sources = r.seq(sourcesNode, `slices[${s}].sources`, true).map((sourceNode, k): SliceSource => {
      const source = r.map(sourceNode, `slices[${s}].sources[${k}]`, SOURCE_KEYS);
      const model = source.get('model');
      if (model === undefined) r.fail(sourceNode, `slices[${s}].sources[${k}] has no model.`, 'Write - model: owner/name.');
      const rangeNode = source.get('layer_range');
      const sourcePath = `${path}/slices/${s}/sources/${k}`;
      r.mark(sourcePath, sourceNode);
      return {
        model: readModelRef(r, model, `${sourcePath}/model`),
        ...(rangeNode === undefined ? {} : { layerRange: readLayerRange(r, rangeNode, `${sourcePath}/layer_range`) }),
        parameters: readParameters(r, source.get('parameters'), `${sourcePath}/parameters`),
      };
    });
    const base = entry.get('base_model');
    return {
      sources,
      parameters: readParameters(r, entry.get('parameters'), `${path}/slices/${s}/parameters`),
      ...(base === undefined ? {} : { baseModel: readModelRef(r, base, `${path}/slices/${s}/base_model`) }),
    };
  });
}

function readLayerRange(r: YamlReader, node: Node, path: string): readonly [number, number] {
  r.mark(path, node);
  const items = r.seq(node, 'layer_range', false);
  const values = items.map((item) => r.scalar(item));
  if (values.length !== 2 || !values.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
    r.fail(node, `layer_range must be two whole numbers [start, end], not ${JSON.stringify(values)}.`, 'For example layer_range: [0, 32] (the end is exclusive).');
  }
  const [start, end] = values as [number, number];
  if (start >= end) r.fail(node, `layer_range [${start}, ${end}] is empty: the end is exclusive and must be larger than the start.`, `Did you mean [${start}, ${start + 1}]?`);
  return [start, end];
}

function readTokenizer(r: YamlReader, legacy: Node | undefined, modern: Node | undefined, path: string): Pick<MergeStage, 'tokenizer' | 'tokenizerKey'> {
  if (legacy !== undefined && modern !== undefined) {
    r.fail(modern, 'Use either tokenizer_source: or tokenizer:, not both.', 'tokenizer: {source: base} is the newer form.');
  }
  if (legacy !== undefined) return { tokenizer: { source: readTokenizerSource(r, legacy, `${path}/tokenizer_source`) }, tokenizerKey: 'tokenizer_source' };
  if (modern === undefined) return {};
  const map = r.map(modern, 'tokenizer', TOKENIZER_KEYS);
  const tokens = map.get('tokens');
  if (tokens !== undefined) r.fail(tokens, 'tokenizer.tokens (per-token embedding sources) is not supported yet.', 'Remove tokens: to merge with the default embedding rules.', 'E_UNSUPPORTED');
  const source = map.get('source');
  const pad = map.get('pad_to_multiple_of');
  const padValue = pad === undefined ? undefined : r.scalar(pad);
  if (padValue !== undefined && (!Number.isInteger(padValue) || (padValue as number) < 1)) {
    r.fail(pad as Node, 'pad_to_multiple_of must be a positive whole number.', 'For example pad_to_multiple_of: 64.');
  }
  return {
    tokenizer: {
      source: source === undefined ? { kind: 'union' } : readTokenizerSource(r, source, `${path}/tokenizer/source`),
      ...(padValue === undefined ? {} : { padToMultipleOf: padValue as number }),
    },
    tokenizerKey: 'tokenizer',
  };
}

function readTokenizerSource(r: YamlReader, node: Node, path: string): TokenizerSource {
  r.mark(path, node);
  if (isScalar(node) && node.value === 'base') return { kind: 'base' };
  if (isScalar(node) && node.value === 'union') return { kind: 'union' };
  if (isScalar(node) && typeof node.value === 'string' && node.value.startsWith('model:')) {
    // The legacy `model:org/name` spelling (mergekit now reads it as a path; we keep the user's intent).
    return { kind: 'model', model: readModelRef(r, r.retext(node, node.value.slice('model:'.length)), path) };
  }
  return { kind: 'model', model: readModelRef(r, node, path) };
}

function readDtype(r: YamlReader, node: Node, key: string): TorchDType {
  const value = r.string(node, key);
  const dtype = DTYPES[value];
  if (dtype === undefined) {
    r.fail(node, `${key}: ${value} is not a dtype mergekit accepts.`, 'Use float32, float16 or bfloat16 (not fp16/bf16).');
  }
  return dtype;
}
