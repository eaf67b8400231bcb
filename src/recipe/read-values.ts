/** Recipe values below the stage structure: model references (with revision and LoRA) and parameter settings. */
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';

import { parseModelRefString } from './model-ref';
import type { ConditionalEntry, ModelRef, ParameterSetting, Parameters, Scalar } from './types';
import type { YamlReader } from './yaml-reader';

const REF_KEYS = ['model', 'lora', 'override_architecture'] as const;
const PATH_KEYS = ['path', 'revision'] as const;
const CONDITIONAL_KEYS = ['filter', 'value'] as const;

/** `owner/name[@revision][+lora]`, or the `{model: {path, revision}, lora, override_architecture}` mapping. */
export function readModelRef(r: YamlReader, node: Node, path: string): ModelRef {
  r.mark(path, node);
  if (isScalar(node)) {
    const parsed = parseModelRefString(String(node.value));
    if (typeof parsed === 'string') r.fail(node, `Invalid model reference: ${parsed}.`, 'Use owner/name, owner/name@revision or owner/name+owner/lora.');
    return parsed;
  }
  const map = r.map(node, 'the model reference', REF_KEYS);
  const model = map.get('model');
  if (model === undefined) r.fail(node, 'A model reference mapping needs model:.', 'Write model: {path: owner/name, revision: main}.');
  const lora = map.get('lora');
  const arch = map.get('override_architecture');
  const base = readPathRef(r, model);
  return {
    ...base,
    ...(lora === undefined ? {} : { lora: readPathRef(r, lora) }),
    ...(arch === undefined ? {} : { overrideArchitecture: r.string(arch, 'override_architecture') }),
  };
}

function readPathRef(r: YamlReader, node: Node): { path: string; revision?: string } {
  if (isScalar(node)) {
    const parsed = parseModelRefString(String(node.value));
    if (typeof parsed === 'string' || parsed.lora !== undefined) {
      r.fail(node, `Invalid model path ${JSON.stringify(node.value)}.`, 'Use owner/name or owner/name@revision.');
    }
    return parsed;
  }
  const map = r.map(node, 'the model path', PATH_KEYS);
  const path = map.get('path');
  if (path === undefined) r.fail(node, 'A model path mapping needs path:.', 'Write {path: owner/name, revision: main}.');
  const revision = map.get('revision');
  return { path: r.string(path, 'path'), ...(revision === undefined ? {} : { revision: r.string(revision, 'revision') }) };
}

/** A `parameters:` mapping; each setting is a value, a gradient list or a list of `{filter, value}` entries. */
export function readParameters(r: YamlReader, node: Node | undefined, path: string): Parameters {
  if (node === undefined || (isScalar(node) && node.value === null)) return {};
  const map = r.map(node, 'parameters', undefined);
  const out: Record<string, ParameterSetting> = {};
  for (const [name, value] of map) {
    r.mark(`${path}/${name}`, value);
    out[name] = readSetting(r, value, name);
  }
  return out;
}

function readSetting(r: YamlReader, node: Node, name: string): ParameterSetting {
  if (isMap(node)) {
    r.fail(node, `${name}: a {filter, value} entry must be inside a list.`, `Write ${name}: [{filter: self_attn, value: 0.5}, {value: 0.3}] — mergekit rejects a lone mapping.`);
  }
  if (!isSeq(node)) return r.scalar(node);
  const items = node.items as Node[];
  if (items.length === 0) r.fail(node, `${name} is an empty list.`, 'Give a value, a list of values (a gradient) or a list of {filter, value} entries.');
  if (items.every((item) => isMap(item))) return items.map((item) => readConditional(r, item, name));
  if (items.some((item) => !isScalar(item))) {
    r.fail(node, `${name} mixes values and {filter, value} entries.`, 'Use either a gradient list or a list of {filter, value} entries.');
  }
  return items.map((item) => r.scalar(item));
}

function readConditional(r: YamlReader, node: Node, name: string): ConditionalEntry {
  const map = r.map(node, `an entry of ${name}`, CONDITIONAL_KEYS);
  const valueNode = map.get('value');
  if (valueNode === undefined) r.fail(node, `An entry of ${name} has no value.`, 'Each entry needs value:, and optionally filter:.');
  let value: Scalar | readonly Scalar[];
  if (isSeq(valueNode)) {
    const items = valueNode.items as Node[];
    if (items.length === 0) r.fail(valueNode, `A value of ${name} is an empty list.`, 'Give a value or a gradient list.');
    value = items.map((item) => r.scalar(item));
  } else {
    value = r.scalar(valueNode);
  }
  const filter = map.get('filter');
  return { ...(filter === undefined ? {} : { filter: r.string(filter, 'filter') }), value };
}
