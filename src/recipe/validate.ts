import { AppError } from '../shared/errors';
import type { ErrorCode } from '../shared/errors';
import { UNSUPPORTED_METHODS, getMethod, METHODS } from '../methods/registry';
import type { MethodSpec, ParamSpec } from '../methods/types';
import { besidesBase, formatModelRef, sameModel, stageNameOf } from './model-ref';
import type { MergeStage, ModelRef, ParameterSetting, Parameters, RecipePosition, Scalar } from './types';

/**
 * Checks a parsed recipe against the methods and the stage graph — everything that can be known without opening a
 * model: method ids, arity, base models, parameter names and where they are written, value types, stage names and
 * references, cycles. Returns the final stage and a dependency order.
 */
export function validateStages(
  stages: readonly MergeStage[],
  positions: Readonly<Record<string, RecipePosition>>,
): { final: number; order: number[] } {
  const fail = (path: string, message: string, hint: string, code: ErrorCode = 'E_RECIPE_INVALID'): never => {
    const pos = positions[path] ?? positions[path.split('/')[0] as string];
    throw new AppError(code, pos === undefined ? message : `Line ${pos.line}: ${message}`, {
      context: pos === undefined ? {} : { line: pos.line, column: pos.column },
      hint,
    });
  };
  const names = new Map<string, number>();
  stages.forEach((stage, i) => {
    if (stage.name === undefined) return;
    if (names.has(stage.name)) fail(`${i}`, `Two stages are named ${stage.name}.`, 'Give every stage its own name.');
    names.set(stage.name, i);
  });
  const unnamed = stages.flatMap((stage, i) => (stage.name === undefined ? [i] : []));
  if (stages.length > 1 && unnamed.length > 1) {
    fail(`${unnamed[1]}`, 'Only one stage may be unnamed: it is the final merge.', 'Add name: to the intermediate stages.');
  }
  stages.forEach((stage, i) => validateStage(stage, String(i), fail));
  const order = dependencyOrder(stages, names, fail);
  return { final: unnamed[0] ?? stages.length - 1, order };
}

type Fail = (path: string, message: string, hint: string, code?: ErrorCode) => never;

function validateStage(stage: MergeStage, path: string, fail: Fail): void {
  const method = getMethod(stage.mergeMethod);
  if (method === undefined) {
    if (UNSUPPORTED_METHODS.includes(stage.mergeMethod)) {
      fail(`${path}/merge_method`, `merge_method ${stage.mergeMethod} is a mergekit method that Merge Studio does not run yet.`, `Supported: ${METHODS.map((m) => m.id).join(', ')}.`, 'E_UNSUPPORTED');
    }
    fail(`${path}/merge_method`, `Unknown merge_method ${stage.mergeMethod}.`, `Use one of: ${METHODS.map((m) => m.id).join(', ')}.`, 'E_UNKNOWN_METHOD');
  }
  checkParameters(stage.parameters, method, `${path}/parameters`, 'top', fail);
  checkBody(stage, stage.baseModel, method, path, fail);
  for (const [name, module] of Object.entries(stage.modules ?? {})) {
    checkParameters(module.parameters, method, `${path}/modules/${name}/parameters`, 'slice', fail);
    checkBody(module, stage.baseModel, method, `${path}/modules/${name}`, fail);
  }
}

/** The `models:` or `slices:` of a stage or of one module. */
function checkBody(body: Pick<MergeStage, 'models' | 'slices'>, baseModel: ModelRef | undefined, method: MethodSpec, path: string, fail: Fail): void {
  if (body.models !== undefined) {
    body.models.forEach((m, i) => checkParameters(m.parameters, method, `${path}/models/${i}/parameters`, 'model', fail));
    const others = besidesBase(body.models, baseModel);
    checkArity(method, others.length, baseModel, path, 'models', fail);
  }
  // Slices are numbered from 1 in messages, as the studio's slice editor shows them.
  body.slices?.forEach((slice, s) => {
    checkParameters(slice.parameters, method, `${path}/slices/${s}/parameters`, 'slice', fail);
    slice.sources.forEach((source, k) => checkParameters(source.parameters, method, `${path}/slices/${s}/sources/${k}/parameters`, 'model', fail));
    const base = slice.baseModel ?? baseModel;
    if (base !== undefined && method.base !== 'none' && !slice.sources.some((source) => sameModel(source.model, base))) {
      fail(`${path}/slices/${s}`, `Slice ${s + 1} does not list its base model ${formatModelRef(base)} among its sources.`, 'With slices:, the base must be one of each slice\'s sources (mergekit does not add it).');
    }
    const others = besidesBase(slice.sources, base);
    checkArity(method, others.length, base, `${path}/slices/${s}`, `slice ${s + 1}`, fail);
    const lengths = new Set(slice.sources.flatMap((source) => (source.layerRange === undefined ? [] : [source.layerRange[1] - source.layerRange[0]])));
    if (lengths.size > 1) fail(`${path}/slices/${s}`, `The sources of slice ${s + 1} span different numbers of layers.`, 'Every source of a slice needs a layer_range of the same length.');
  });
}

function checkArity(method: MethodSpec, others: number, base: ModelRef | undefined, path: string, where: string, fail: Fail): void {
  if (method.base === 'required' && base === undefined) {
    fail(`${path}/merge_method`, `${method.id} needs a base_model.`, `Add base_model: (for ${method.id} it is ${method.id === 'slerp' ? 'the t = 0 end' : 'the reference the others are measured against'}).`);
  }
  const count = method.base === 'none' && base !== undefined ? others + 1 : others;
  const expected =
    method.maxModels === method.minModels
      ? `exactly ${method.minModels}`
      : method.maxModels === undefined
        ? `at least ${method.minModels}`
        : `${method.minModels} to ${method.maxModels}`;
  if (count < method.minModels || (method.maxModels !== undefined && count > method.maxModels)) {
    const withBase = method.base === 'required' ? ' besides the base model' : '';
    const hint =
      method.id === 'slerp'
        ? 'slerp merges two models: the base_model and one other. For more, merge in stages or use multislerp/linear.'
        : `Give ${method.id} ${expected} model(s)${withBase}.`;
    fail(`${path}/${where === 'models' ? 'models' : 'merge_method'}`, `${method.id} takes ${expected} model(s)${withBase}, but ${where} has ${count}.`, hint);
  }
}

/** Parameter names must exist for the method; global ones cannot sit under a model; values must have the right type. */
function checkParameters(parameters: Parameters, method: MethodSpec, path: string, level: 'top' | 'slice' | 'model', fail: Fail): void {
  for (const [name, setting] of Object.entries(parameters)) {
    const param = method.params.find((p) => p.name === name);
    if (param === undefined) {
      const known = method.params.map((p) => p.name).join(', ');
      fail(`${path}/${name}`, `${method.id} has no parameter ${name}.`, known === '' ? `${method.id} takes no parameters.` : `${method.id} takes: ${known}.`);
    }
    if (level === 'model' && param.scope === 'global') {
      fail(`${path}/${name}`, `${name} applies to the whole merge, so it cannot be set per model.`, `Move ${name} to the top-level parameters (mergekit would silently ignore it here).`);
    }
    for (const value of settingValues(setting)) checkValue(param, value, `${path}/${name}`, fail);
  }
}

function settingValues(setting: ParameterSetting): Scalar[] {
  if (!Array.isArray(setting)) return [setting as Scalar];
  return setting.flatMap((item: Scalar | { value: Scalar | readonly Scalar[] }) =>
    typeof item === 'object' ? (Array.isArray(item.value) ? [...(item.value as Scalar[])] : [item.value as Scalar]) : [item],
  );
}

function checkValue(param: ParamSpec, value: Scalar, path: string, fail: Fail): void {
  const okType = param.type === 'boolean' ? typeof value === 'boolean' || value === 0 || value === 1 : typeof value === 'number';
  if (!okType) fail(path, `${param.name} must be ${param.type === 'boolean' ? 'true or false' : 'a number'}, not ${JSON.stringify(value)}.`, param.description);
  if (param.type === 'integer' && !Number.isInteger(value)) fail(path, `${param.name} must be a whole number, not ${value}.`, param.description);
  if (typeof value === 'number' && ((param.min !== undefined && value < param.min) || (param.max !== undefined && value > param.max))) {
    fail(path, `${param.name} = ${value} is outside ${param.min ?? '-∞'}…${param.max ?? '∞'}.`, param.description);
  }
}

/** Stages referred to by name come first; a cycle is an error naming it. */
function dependencyOrder(stages: readonly MergeStage[], names: ReadonlyMap<string, number>, fail: Fail): number[] {
  const uses = stages.map((stage) => {
    const bodies = [stage, ...Object.values(stage.modules ?? {})];
    const refs = [
      stage.baseModel,
      ...bodies.flatMap((body) => [
        ...(body.models ?? []).map((m) => m.model),
        ...(body.slices ?? []).flatMap((s) => [s.baseModel, ...s.sources.map((x) => x.model)]),
      ]),
    ];
    return [...new Set(refs.flatMap((ref) => (ref !== undefined && stageNameOf(ref, names) !== undefined ? [names.get(ref.path) as number] : [])))];
  });
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number, trail: number[]): void => {
    if (state.get(i) === 'done') return;
    if (state.get(i) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(i)), i].map((j) => stages[j]?.name ?? `stage ${j + 1}`);
      fail(`${i}`, `The stages refer to each other in a circle: ${cycle.join(' → ')}.`, 'A stage can only use stages that do not use it.', 'E_STAGE_CYCLE');
    }
    state.set(i, 'visiting');
    for (const j of uses[i] ?? []) visit(j, [...trail, i]);
    state.set(i, 'done');
    order.push(i);
  };
  stages.forEach((_, i) => visit(i, []));
  return order;
}
