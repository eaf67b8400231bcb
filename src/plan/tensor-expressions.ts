/**
 * The expression tree of one output tensor: a merge of its inputs' tensors with the method's resolved parameters,
 * where each input is a read, a read with a LoRA baked in, or a nested stage's tensor; integer tensors and plain
 * layer stacking are copied as they are.
 */
import { AppError } from '../shared/errors';
import type { Model, ModelTensor } from '../io/model/types';
import type { DType, FloatDType } from '../io/safetensors/dtype';
import { isFloatDType } from '../io/safetensors/dtype';
import { getMethod } from '../methods/registry';
import type { MethodSpec } from '../methods/types';
import { formatModelRef } from '../recipe/model-ref';
import { resolveParameter } from '../recipe/settings';
import type { MergeStage, ModelRef, TorchDType } from '../recipe/types';
import type { ArchitectureView } from './architectures';
import { architectureOf } from './architectures';
import type { CompileInput } from './compile-input';
import { loraShapeProblem, loraTensorNames } from './lora';
import { inputKey } from './references';
import type { StageInput, StageLayouts } from './stage-layout';
import type { MergeExpr, ParamValue, ReadExpr, TensorExpr } from './types';
import { rectifyEmbeddings } from './vocabulary';

/** A tensor as the plan will produce it. */
export interface ExprTensor {
  readonly expr: TensorExpr;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

const TORCH_TO_DTYPE: Readonly<Record<TorchDType, FloatDType>> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

/** Builds tensor expressions for the stages of one recipe; vocabulary crops are reported in `warnings`. */
export class TensorExpressions {
  constructor(
    private readonly input: CompileInput,
    private readonly layouts: StageLayouts,
    private readonly warnings: string[],
  ) {}

  /** One tensor of one stage's output: a merge of its inputs' tensors (or a copy, for integer tensors). */
  stageTensor(stageIndex: number, tensorName: string): ExprTensor {
    const stage = this.input.recipe.stages[stageIndex] as MergeStage;
    const method = getMethod(stage.mergeMethod) as MethodSpec;
    const layout = this.layouts.layout(stageIndex);
    const { slice, t, sourceName } = this.layouts.locate(layout, tensorName);
    const inputs = slice.sources;
    let sources = inputs.map((input) => ({ input, name: sourceName(input), ...this.sourceTensor(input.ref, sourceName(input)) }));
    const baseIndex = inputs.findIndex((i) => i.isBase);
    sources = rectifyEmbeddings(method, layout.arch, tensorName, sources, baseIndex, this.warnings);
    const reference = sources[baseIndex >= 0 ? baseIndex : 0] as (typeof sources)[number];
    for (const source of sources) {
      if (source.shape.join() !== reference.shape.join()) {
        throw new AppError(
          'E_SHAPE_MISMATCH',
          `Tensor ${tensorName} is [${source.shape.join(', ')}] in ${formatModelRef(source.input.ref)} but [${reference.shape.join(', ')}] in ${formatModelRef(reference.input.ref)}.`,
          {
            context: { tensor: tensorName, model: formatModelRef(source.input.ref) },
            hint: layout.arch.isEmbedding(tensorName) && source.shape.length === 2 && source.shape[1] === reference.shape[1]
              ? `The models have different vocabulary sizes, which ${method.id} cannot merge (mergekit crops embeddings only for linear, slerp, nuslerp, model_stock and the task-vector family).`
              : 'These models do not share an architecture; merge models of the same size and family.',
          },
        );
      }
    }
    if (!isFloatDType(reference.dtype)) {
      // Integer tensors are never interpolated: copied from the base (or first) model, as they are.
      return { expr: reference.expr, dtype: reference.dtype, shape: reference.shape };
    }
    for (const source of sources) {
      if (!isFloatDType(source.dtype)) {
        throw new AppError('E_SHAPE_MISMATCH', `Tensor ${tensorName} is ${source.dtype} in ${formatModelRef(source.input.ref)} but ${reference.dtype} elsewhere.`, {
          context: { tensor: tensorName },
          hint: 'Merge models that store this tensor with the same kind of numbers.',
        });
      }
    }
    const dtype = stageDtype(stage, reference.dtype);
    if (method.id === 'passthrough' && sources.length === 1 && dtype === reference.dtype && [sources[0]?.input.parameters, slice.parameters, layout.moduleParameters, stage.parameters].every((p) => p?.['scale'] === undefined)) {
      // Layer stacking: the tensor is copied as it is (byte for byte, no decode).
      return { expr: reference.expr, dtype, shape: reference.shape };
    }
    const model = (i: StageInput) => formatModelRef(i.ref);
    const levels = { slice: slice.parameters, module: layout.moduleParameters, global: stage.parameters };
    const globals: Record<string, ParamValue> = {};
    for (const param of method.params.filter((p) => p.scope === 'global')) {
      const value = resolveParameter(param, levels, { tensor: tensorName, t });
      if (value !== undefined) globals[param.name] = toParam(value, param.name, tensorName);
    }
    const perModel = sources.map((source) => {
      const values: Record<string, ParamValue> = {};
      for (const param of method.params.filter((p) => p.scope === 'model')) {
        // Per-model parameters match filters against the model's own tensor name (spec §1.4).
        const value = resolveParameter(param, { ...levels, source: source.input.parameters }, { tensor: source.name, t, model: model(source.input), isBase: source.input.isBase && method.base !== 'none' });
        if (value !== undefined) values[param.name] = toParam(value, param.name, tensorName);
      }
      return values;
    });
    const expr: MergeExpr = {
      kind: 'merge',
      method: method.id,
      stage: stage.name,
      inputs: sources.map((s) => s.expr),
      baseIndex: baseIndex >= 0 && method.base !== 'none' ? baseIndex : undefined,
      globals,
      perModel,
      dtype,
      seed: this.input.seed ?? 0,
    };
    return { expr, dtype, shape: reference.shape };
  }

  /** The expression for `tensorName` of one input: a nested stage, a read, or a read with a LoRA baked in. */
  private sourceTensor(ref: ModelRef, tensorName: string): ExprTensor {
    const nested = this.layouts.nestedStage(ref);
    if (nested !== undefined) {
      const output = this.stageTensor(nested, tensorName);
      if (ref.lora === undefined || !isFloatDType(output.dtype)) return output;
      // A LoRA on a stage: baked into the stage's result, rounded to the stage's dtype (mergekit-multi merges it into the intermediate model).
      return { ...output, expr: this.bakeLora(ref, { name: tensorName, shape: output.shape, dtype: output.dtype }, output.expr, `stage ${ref.path}`) };
    }
    const model = this.layouts.model(ref);
    const tensor = findTensor(model, tensorName, architectureOf(model));
    const read = readExpr(inputKey(ref), tensor);
    if (ref.lora === undefined || !isFloatDType(tensor.dtype)) return { expr: read, dtype: tensor.dtype, shape: tensor.shape };
    return { expr: this.bakeLora(ref, { name: tensor.name, shape: tensor.shape, dtype: tensor.dtype }, read, ref.path), dtype: tensor.dtype, shape: tensor.shape };
  }

  private bakeLora(ref: ModelRef, tensor: { readonly name: string; readonly shape: readonly number[]; readonly dtype: FloatDType }, weight: TensorExpr, model: string): TensorExpr {
    const lora = ref.lora as NonNullable<ModelRef['lora']>;
    const adapter = this.input.adapters?.get(inputKey(lora));
    if (adapter === undefined) throw new AppError('E_INTERNAL', `Adapter ${formatModelRef({ path: lora.path, ...(lora.revision ? { revision: lora.revision } : {}) })} was not loaded.`);
    const names = loraTensorNames(tensor.name);
    const a = names === undefined ? undefined : adapter.model.tensors.get(names.a);
    const b = names === undefined ? undefined : adapter.model.tensors.get(names.b);
    if (a === undefined || b === undefined) return weight;
    const problem = loraShapeProblem(tensor, a.shape, b.shape, adapter.config.fanInFanOut, { lora: lora.path, model });
    if (problem !== undefined) {
      throw new AppError('E_LORA_INVALID', problem, { context: { model: lora.path, tensor: tensor.name }, hint: `Use an adapter trained on the architecture and size of ${model}.` });
    }
    const key = inputKey(lora);
    return {
      kind: 'lora',
      weight,
      a: readExpr(key, a),
      b: readExpr(key, b),
      scale: adapter.config.scale,
      fanInFanOut: adapter.config.fanInFanOut,
      dtype: tensor.dtype,
    };
  }
}

function stageDtype(stage: MergeStage, inputDtype: DType): FloatDType {
  const torch = stage.outDtype ?? stage.dtype;
  return torch === undefined ? (inputDtype as FloatDType) : TORCH_TO_DTYPE[torch];
}

function toParam(value: number | boolean | string, name: string, tensor: string): ParamValue {
  if (typeof value === 'string') {
    throw new AppError('E_RECIPE_INVALID', `Parameter ${name} is ${JSON.stringify(value)} for tensor ${tensor}; it must be a number.`, {
      context: { tensor },
      hint: `Give ${name} a number (or true/false).`,
    });
  }
  return value;
}

/** A tensor, or its tied twin (`lm_head.weight` ↔ the input embeddings, mergekit-spec §5.4). */
function findTensor(model: Model, name: string, arch: ArchitectureView): ModelTensor {
  const tensor = model.tensors.get(name) ?? arch.tiedTwins(name).map((twin) => model.tensors.get(twin)).find((t) => t !== undefined);
  if (tensor === undefined) {
    throw new AppError('E_TENSOR_MISSING', `Tensor ${name} is required but not present in ${model.ref}.`, {
      context: { model: model.ref, tensor: name },
      hint: 'Merge models of the same architecture (same tensor names).',
    });
  }
  return tensor;
}

function readExpr(input: string, tensor: ModelTensor): ReadExpr {
  return { kind: 'read', input, tensor: tensor.name, file: tensor.file, offset: tensor.offset, length: tensor.length, dtype: tensor.dtype, shape: tensor.shape };
}
