/** Embeddings of different vocabulary sizes: which rows a method keeps (mergekit-spec §4.1), and the crop itself. */
import { AppError } from '../shared/errors';
import { numel } from '../io/safetensors/dtype';
import type { MethodSpec } from '../methods/types';
import { formatModelRef } from '../recipe/model-ref';
import type { ModelRef } from '../recipe/types';
import type { ArchitectureView } from './architectures';
import type { TensorExpr } from './types';

/** Methods that crop every input's embedding to the common rows, and the family that crops to the base (spec §4.1). */
const CROP_TO_COMMON = new Set(['linear', 'slerp', 'nuslerp', 'model_stock']);
const CROP_TO_BASE = new Set(['task_arithmetic', 'ties', 'dare_ties', 'dare_linear', 'breadcrumbs', 'breadcrumbs_ties', 'della', 'della_linear']);

/**
 * How a method treats embeddings of different vocabulary sizes (mergekit-spec §4.1): `common` keeps the rows every
 * model has, `base` keeps the base's rows (another model may not have fewer), `none` cannot merge them.
 */
export function vocabularyHandling(methodId: string): 'common' | 'base' | 'none' {
  return CROP_TO_COMMON.has(methodId) ? 'common' : CROP_TO_BASE.has(methodId) ? 'base' : 'none';
}

/** One input of a tensor merge, as far as the crop is concerned. */
interface CroppableSource {
  readonly input: { readonly ref: ModelRef };
  readonly expr: TensorExpr;
  readonly shape: readonly number[];
}

/**
 * Embeddings of different vocabulary sizes, as mergekit handles them without a tokenizer option (spec §4.1):
 * linear/slerp/nuslerp/model_stock keep the rows every model has; the task-vector family keeps the base's rows and
 * fails when another model has fewer. Other methods, and other tensors, are left to the shape check. A crop is
 * reported in `warnings`.
 */
export function rectifyEmbeddings<T extends CroppableSource>(
  method: MethodSpec,
  arch: ArchitectureView,
  tensorName: string,
  sources: T[],
  baseIndex: number,
  warnings: string[],
): T[] {
  if (!arch.isEmbedding(tensorName) || sources.every((s) => s.shape.join() === (sources[0] as T).shape.join())) return sources;
  if (sources.some((s) => s.shape.length !== 2 || s.shape[1] !== (sources[0] as T).shape[1])) return sources;
  let rows: number;
  const handling = vocabularyHandling(method.id);
  if (handling === 'common') rows = Math.min(...sources.map((s) => s.shape[0] as number));
  else if (handling === 'base' && baseIndex >= 0) {
    const base = sources[baseIndex] as T;
    rows = base.shape[0] as number;
    const short = sources.find((s) => (s.shape[0] as number) < rows);
    if (short !== undefined) {
      throw new AppError('E_SHAPE_MISMATCH', `${formatModelRef(short.input.ref)} has ${short.shape[0]} rows in ${tensorName}, fewer than the base ${formatModelRef(base.input.ref)} (${rows}).`, {
        context: { tensor: tensorName, model: formatModelRef(short.input.ref) },
        hint: `${method.id} keeps the base's vocabulary; every other model needs at least as many tokens. Use a model with the smaller vocabulary as the base.`,
      });
    }
  } else return sources;
  const sizes = [...new Set(sources.map((s) => s.shape[0]))].join(' and ');
  warnings.push(`${tensorName}: the models have ${sizes} rows (different vocabularies); the merge keeps the first ${rows}, as mergekit does.`);
  return sources.map((s) => ({ ...s, expr: cropRows(s.expr, rows, tensorName), shape: [rows, s.shape[1] as number] }));
}

/** The first `rows` rows of a row-major matrix expression (a prefix of its elements). */
function cropRows(expr: TensorExpr, rows: number, tensorName: string): TensorExpr {
  if (expr.kind === 'read') {
    const columns = expr.shape[1] as number;
    return { ...expr, shape: [rows, columns], length: (expr.length / numel(expr.shape)) * rows * columns };
  }
  if (expr.kind === 'lora') return { ...expr, weight: cropRows(expr.weight, rows, tensorName) };
  throw new AppError('E_UNSUPPORTED', `${tensorName} of stage ${expr.stage ?? ''} would need its vocabulary cropped after the stage, which is not supported.`, {
    context: { tensor: tensorName },
    hint: 'Merge models with the same vocabulary in nested stages.',
  });
}
