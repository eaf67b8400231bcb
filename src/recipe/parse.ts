import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Node, YAMLMap } from 'yaml';

import { AppError } from '../shared/errors';
import type { ErrorCode } from '../shared/errors';
import { parseModelRefString } from './model-ref';
import type {
  ConditionalEntry,
  InputModel,
  MergeStage,
  ModelRef,
  ModuleRecipe,
  ParameterSetting,
  Parameters,
  RecipeDocument,
  RecipePosition,
  RecipeWarning,
  Scalar,
  Slice,
  SliceSource,
  TokenizerSource,
  TorchDType,
} from './types';
import { validateStages } from './validate';

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
const REF_KEYS = ['model', 'lora', 'override_architecture'] as const;
const PATH_KEYS = ['path', 'revision'] as const;
const TOKENIZER_KEYS = ['source', 'tokens', 'pad_to_multiple_of'] as const;
const CONDITIONAL_KEYS = ['filter', 'value'] as const;

const DTYPES: Readonly<Record<string, TorchDType>> = {
  float32: 'float32',
  float16: 'float16',
  bfloat16: 'bfloat16',
  'torch.float32': 'float32',
  'torch.float16': 'float16',
  'torch.bfloat16': 'bfloat16',
};

/** PyYAML (which mergekit uses) reads a float only with a dot and a signed exponent: `1.0e-4`, not `1e-4`. */
const PYYAML_FLOAT = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;

/**
 * Parses a mergekit recipe: one YAML document, or several (mergekit-multi) whose named stages refer to one another.
 * Unlike mergekit, unknown keys are errors (a typo such as `parameter:` silently does nothing there). Every error
 * carries the 1-based line and column of the offending node.
 */
export function parseRecipe(text: string): RecipeDocument {
  const lineCounter = new LineCounter();
  const reader = new Reader(lineCounter);
  const documents = parseAllDocuments(text, { version: '1.1', lineCounter, uniqueKeys: true });
  if (!Array.isArray(documents)) {
    throw new AppError('E_RECIPE_YAML', 'The recipe is empty.', { hint: 'Start with merge_method: and models:.' });
  }
  const stages: MergeStage[] = [];
  for (const [i, document] of documents.entries()) {
    const error = document.errors[0];
    if (error !== undefined) {
      const pos = error.linePos?.[0];
      throw new AppError('E_RECIPE_YAML', `The recipe is not valid YAML: ${error.message.split('\n')[0]}`, {
        context: pos === undefined ? {} : { line: pos.line, column: pos.col },
        hint: 'Check indentation and quoting around the position shown.',
      });
    }
    if (document.contents === null) continue;
    stages.push(reader.stage(document.contents as Node, String(stages.length), documents.length > 1 ? i + 1 : undefined));
  }
  if (stages.length === 0) {
    throw new AppError('E_RECIPE_INVALID', 'The recipe has no merge in it.', { hint: 'Start with merge_method: and models:.' });
  }
  const { final, order } = validateStages(stages, reader.positions);
  return { stages, final, order, positions: reader.positions, warnings: reader.warnings };
}

class Reader {
  readonly positions: Record<string, RecipePosition> = {};
  readonly warnings: RecipeWarning[] = [];

  constructor(private readonly lineCounter: LineCounter) {}

  stage(node: Node, path: string, documentNumber: number | undefined): MergeStage {
    const where = documentNumber === undefined ? 'the recipe' : `document ${documentNumber}`;
    const map = this.map(node, where, STAGE_KEYS);
    this.mark(path, node);
    const get = (key: (typeof STAGE_KEYS)[number]) => map.get(key);
    const methodNode = get('merge_method');
    if (methodNode === undefined) this.fail(node, `${where} has no merge_method.`, 'Add merge_method: slerp (or linear, ties, …).');
    const mergeMethod = this.string(methodNode, 'merge_method');
    this.mark(`${path}/merge_method`, methodNode);
    const models = get('models');
    const slices = get('slices');
    const modules = get('modules');
    if ([models, slices, modules].filter((n) => n !== undefined).length !== 1) {
      this.fail(node, `${where} must have exactly one of models:, slices: and modules:.`, 'Use models: for whole-model merges, slices: to pick layer ranges.');
    }
    const stage: MergeStage = {
      ...(get('name') === undefined ? {} : { name: this.string(get('name') as Node, 'name') }),
      mergeMethod,
      ...(get('base_model') === undefined ? {} : { baseModel: this.modelRef(get('base_model') as Node, `${path}/base_model`) }),
      ...(models === undefined ? {} : { models: this.models(models, path) }),
      ...(slices === undefined ? {} : { slices: this.slices(slices, path) }),
      ...(modules === undefined ? {} : { modules: this.modules(modules, path) }),
      parameters: this.parameters(get('parameters'), `${path}/parameters`),
      ...(get('dtype') === undefined ? {} : { dtype: this.dtype(get('dtype') as Node, 'dtype') }),
      ...(get('out_dtype') === undefined ? {} : { outDtype: this.dtype(get('out_dtype') as Node, 'out_dtype') }),
      ...this.tokenizer(get('tokenizer_source'), get('tokenizer'), path),
      ...(get('chat_template') === undefined ? {} : { chatTemplate: this.string(get('chat_template') as Node, 'chat_template') }),
    };
    return stage;
  }

  private modules(node: Node, path: string): Record<string, ModuleRecipe> {
    const out: Record<string, ModuleRecipe> = {};
    for (const [name, value] of this.map(node, 'modules', undefined)) {
      const module = this.map(value, `modules.${name}`, MODULE_KEYS);
      const modulePath = `${path}/modules/${name}`;
      this.mark(modulePath, value);
      const models = module.get('models');
      const slices = module.get('slices');
      if ((models === undefined) === (slices === undefined)) {
        this.fail(value, `modules.${name} must have exactly one of models: and slices:.`, 'Each module lists its own models or slices.');
      }
      out[name] = {
        ...(models === undefined ? {} : { models: this.models(models, modulePath) }),
        ...(slices === undefined ? {} : { slices: this.slices(slices, modulePath) }),
        parameters: this.parameters(module.get('parameters'), `${modulePath}/parameters`),
      };
    }
    return out;
  }

  private models(node: Node, path: string): InputModel[] {
    this.mark(`${path}/models`, node);
    return this.seq(node, 'models', true).map((item, i) => {
      const entry = this.map(item, `models[${i}]`, MODEL_KEYS);
      const model = entry.get('model');
      if (model === undefined) this.fail(item, `models[${i}] has no model.`, 'Write - model: owner/name.');
      this.mark(`${path}/models/${i}`, item);
      return {
        model: this.modelRef(model, `${path}/models/${i}/model`),
        parameters: this.parameters(entry.get('parameters'), `${path}/models/${i}/parameters`),
      };
    });
  }

  private slices(node: Node, path: string): Slice[] {
    return this.seq(node, 'slices', true).map((item, s) => {
      const entry = this.map(item, `slices[${s}]`, SLICE_KEYS);
      const sourcesNode = entry.get('sources');
      if (sourcesNode === undefined) this.fail(item, `slices[${s}] has no sources.`, 'Each slice lists its sources with model and layer_range.');
      this.mark(`${path}/slices/${s}`, item);
      const sources = this.seq(sourcesNode, `slices[${s}].sources`, true).map((sourceNode, k): SliceSource => {
        const source = this.map(sourceNode, `slices[${s}].sources[${k}]`, SOURCE_KEYS);
        const model = source.get('model');
        if (model === undefined) this.fail(sourceNode, `slices[${s}].sources[${k}] has no model.`, 'Write - model: owner/name.');
        const rangeNode = source.get('layer_range');
        const sourcePath = `${path}/slices/${s}/sources/${k}`;
        this.mark(sourcePath, sourceNode);
        return {
          model: this.modelRef(model, `${sourcePath}/model`),
          ...(rangeNode === undefined ? {} : { layerRange: this.layerRange(rangeNode, `${sourcePath}/layer_range`) }),
          parameters: this.parameters(source.get('parameters'), `${sourcePath}/parameters`),
        };
      });
      const base = entry.get('base_model');
      return {
        sources,
        parameters: this.parameters(entry.get('parameters'), `${path}/slices/${s}/parameters`),
        ...(base === undefined ? {} : { baseModel: this.modelRef(base, `${path}/slices/${s}/base_model`) }),
      };
    });
  }

  private layerRange(node: Node, path: string): readonly [number, number] {
    this.mark(path, node);
    const items = this.seq(node, 'layer_range', false);
    const values = items.map((item) => this.scalar(item));
    if (values.length !== 2 || !values.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
      this.fail(node, `layer_range must be two whole numbers [start, end], not ${JSON.stringify(values)}.`, 'For example layer_range: [0, 32] (the end is exclusive).');
    }
    const [start, end] = values as [number, number];
    if (start >= end) this.fail(node, `layer_range [${start}, ${end}] is empty: the end is exclusive and must be larger than the start.`, `Did you mean [${start}, ${start + 1}]?`);
    return [start, end];
  }

  modelRef(node: Node, path: string): ModelRef {
    this.mark(path, node);
    if (isScalar(node)) {
      const parsed = parseModelRefString(String(node.value));
      if (typeof parsed === 'string') this.fail(node, `Invalid model reference: ${parsed}.`, 'Use owner/name, owner/name@revision or owner/name+owner/lora.');
      return parsed;
    }
    const map = this.map(node, 'the model reference', REF_KEYS);
    const model = map.get('model');
    if (model === undefined) this.fail(node, 'A model reference mapping needs model:.', 'Write model: {path: owner/name, revision: main}.');
    const lora = map.get('lora');
    const arch = map.get('override_architecture');
    const base = this.pathRef(model);
    return {
      ...base,
      ...(lora === undefined ? {} : { lora: this.pathRef(lora) }),
      ...(arch === undefined ? {} : { overrideArchitecture: this.string(arch, 'override_architecture') }),
    };
  }

  private pathRef(node: Node): { path: string; revision?: string } {
    if (isScalar(node)) {
      const parsed = parseModelRefString(String(node.value));
      if (typeof parsed === 'string' || parsed.lora !== undefined) {
        this.fail(node, `Invalid model path ${JSON.stringify(node.value)}.`, 'Use owner/name or owner/name@revision.');
      }
      return parsed;
    }
    const map = this.map(node, 'the model path', PATH_KEYS);
    const path = map.get('path');
    if (path === undefined) this.fail(node, 'A model path mapping needs path:.', 'Write {path: owner/name, revision: main}.');
    const revision = map.get('revision');
    return { path: this.string(path, 'path'), ...(revision === undefined ? {} : { revision: this.string(revision, 'revision') }) };
  }

  private parameters(node: Node | undefined, path: string): Parameters {
    if (node === undefined || (isScalar(node) && node.value === null)) return {};
    const map = this.map(node, 'parameters', undefined);
    const out: Record<string, ParameterSetting> = {};
    for (const [name, value] of map) {
      this.mark(`${path}/${name}`, value);
      out[name] = this.setting(value, name);
    }
    return out;
  }

  private setting(node: Node, name: string): ParameterSetting {
    if (isMap(node)) {
      this.fail(node, `${name}: a {filter, value} entry must be inside a list.`, `Write ${name}: [{filter: self_attn, value: 0.5}, {value: 0.3}] — mergekit rejects a lone mapping.`);
    }
    if (!isSeq(node)) return this.scalar(node);
    const items = node.items as Node[];
    if (items.length === 0) this.fail(node, `${name} is an empty list.`, 'Give a value, a list of values (a gradient) or a list of {filter, value} entries.');
    if (items.every((item) => isMap(item))) return items.map((item) => this.conditional(item, name));
    if (items.some((item) => !isScalar(item))) {
      this.fail(node, `${name} mixes values and {filter, value} entries.`, 'Use either a gradient list or a list of {filter, value} entries.');
    }
    return items.map((item) => this.scalar(item));
  }

  private conditional(node: Node, name: string): ConditionalEntry {
    const map = this.map(node, `an entry of ${name}`, CONDITIONAL_KEYS);
    const valueNode = map.get('value');
    if (valueNode === undefined) this.fail(node, `An entry of ${name} has no value.`, 'Each entry needs value:, and optionally filter:.');
    let value: Scalar | readonly Scalar[];
    if (isSeq(valueNode)) {
      const items = valueNode.items as Node[];
      if (items.length === 0) this.fail(valueNode, `A value of ${name} is an empty list.`, 'Give a value or a gradient list.');
      value = items.map((item) => this.scalar(item));
    } else {
      value = this.scalar(valueNode);
    }
    const filter = map.get('filter');
    return { ...(filter === undefined ? {} : { filter: this.string(filter, 'filter') }), value };
  }

  private tokenizer(legacy: Node | undefined, modern: Node | undefined, path: string): Pick<MergeStage, 'tokenizer' | 'tokenizerKey'> {
    if (legacy !== undefined && modern !== undefined) {
      this.fail(modern, 'Use either tokenizer_source: or tokenizer:, not both.', 'tokenizer: {source: base} is the newer form.');
    }
    if (legacy !== undefined) return { tokenizer: { source: this.tokenizerSource(legacy, `${path}/tokenizer_source`) }, tokenizerKey: 'tokenizer_source' };
    if (modern === undefined) return {};
    const map = this.map(modern, 'tokenizer', TOKENIZER_KEYS);
    const tokens = map.get('tokens');
    if (tokens !== undefined) this.fail(tokens, 'tokenizer.tokens (per-token embedding sources) is not supported yet.', 'Remove tokens: to merge with the default embedding rules.', 'E_UNSUPPORTED');
    const source = map.get('source');
    const pad = map.get('pad_to_multiple_of');
    const padValue = pad === undefined ? undefined : this.scalar(pad);
    if (padValue !== undefined && (!Number.isInteger(padValue) || (padValue as number) < 1)) {
      this.fail(pad as Node, 'pad_to_multiple_of must be a positive whole number.', 'For example pad_to_multiple_of: 64.');
    }
    return {
      tokenizer: {
        source: source === undefined ? { kind: 'union' } : this.tokenizerSource(source, `${path}/tokenizer/source`),
        ...(padValue === undefined ? {} : { padToMultipleOf: padValue as number }),
      },
      tokenizerKey: 'tokenizer',
    };
  }

  private tokenizerSource(node: Node, path: string): TokenizerSource {
    this.mark(path, node);
    if (isScalar(node) && node.value === 'base') return { kind: 'base' };
    if (isScalar(node) && node.value === 'union') return { kind: 'union' };
    if (isScalar(node) && typeof node.value === 'string' && node.value.startsWith('model:')) {
      // The legacy `model:org/name` spelling (mergekit now reads it as a path; we keep the user's intent).
      return { kind: 'model', model: this.modelRef(this.retext(node, node.value.slice('model:'.length)), path) };
    }
    return { kind: 'model', model: this.modelRef(node, path) };
  }

  private retext(node: Node, value: string): Node {
    const copy = node.clone() as Node & { value: unknown };
    copy.value = value;
    return copy;
  }

  private dtype(node: Node, key: string): TorchDType {
    const value = this.string(node, key);
    const dtype = DTYPES[value];
    if (dtype === undefined) {
      this.fail(node, `${key}: ${value} is not a dtype mergekit accepts.`, 'Use float32, float16 or bfloat16 (not fp16/bf16).');
    }
    return dtype;
  }

  private scalar(node: Node): Scalar {
    if (!isScalar(node)) this.fail(node, 'Expected a single value here.', 'Write a number, true/false or a name.');
    const value = node.value;
    if (typeof value === 'number') {
      const source = node.source ?? String(value);
      if (!PYYAML_FLOAT.test(source.trim())) {
        const pos = this.at(node);
        this.warnings.push({
          ...pos,
          message: `${source} is read as a number here, but mergekit (PyYAML) reads it as text; write ${pyFloat(value)} to be safe in both.`,
        });
      }
      if (!Number.isFinite(value)) this.fail(node, `${source} is not a finite number.`, 'Use an ordinary number.');
      return value;
    }
    if (typeof value === 'boolean' || typeof value === 'string') return value;
    this.fail(node, `Unexpected value ${JSON.stringify(value)}.`, 'Write a number, true/false or a name.');
  }

  private string(node: Node, key: string): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      this.fail(node, `${key} must be a non-empty name.`, `Write ${key}: followed by text.`);
    }
    return node.value;
  }

  private seq(node: Node, key: string, nonEmpty: boolean): Node[] {
    if (!isSeq(node)) this.fail(node, `${key} must be a list.`, `Write each item of ${key} on its own line starting with "- ".`);
    if (nonEmpty && node.items.length === 0) this.fail(node, `${key} is empty.`, `List at least one item under ${key}.`);
    return node.items as Node[];
  }

  /** A mapping with string keys, checked against `allowed` (unknown keys fail with the closest allowed one). */
  private map(node: Node, where: string, allowed: readonly string[] | undefined): Map<string, Node> {
    if (!isMap(node)) this.fail(node, `${where} must be a mapping of keys to values.`, 'Check the indentation.');
    const out = new Map<string, Node>();
    for (const pair of (node as YAMLMap<Node, Node>).items) {
      const keyNode = pair.key;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') this.fail(keyNode ?? node, `Keys in ${where} must be names.`, 'Check the indentation.');
      const key = keyNode.value;
      if (allowed !== undefined && !allowed.includes(key)) {
        const guess = closest(key, allowed);
        this.fail(
          keyNode,
          `Unknown key \`${key}\` in ${where}${guess === undefined ? '' : `; did you mean \`${guess}\``}?`,
          `Allowed here: ${allowed.join(', ')}. (mergekit would silently ignore it.)`,
        );
      }
      out.set(key, pair.value ?? (keyNode as Node));
    }
    return out;
  }

  private at(node: Node): RecipePosition {
    const pos = this.lineCounter.linePos(node.range?.[0] ?? 0);
    return { line: pos.line, column: pos.col };
  }

  private mark(path: string, node: Node): void {
    this.positions[path] = this.at(node);
  }

  fail(node: Node, message: string, hint: string, code: ErrorCode = 'E_RECIPE_INVALID'): never {
    const { line, column } = this.at(node);
    throw new AppError(code, `Line ${line}: ${message}`, { context: { line, column }, hint });
  }
}

/** PyYAML-safe float text: a mantissa dot and a signed exponent (`1.0e-07` style is not needed, `1.0e-7` is). */
export function pyFloat(value: number): string {
  const text = String(value);
  return /e/.test(text) && !text.includes('.') ? text.replace('e', '.0e') : text;
}

/** The allowed key nearest to `key` by edit distance, when it is close enough to be a typo. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

