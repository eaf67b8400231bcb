import { WEIGHT, globalBoolean, globalNumber, modelNumber } from './params';
import type { MethodSpec, ParamSpec } from './types';

/**
 * TIES, DARE, breadcrumbs, DELLA and plain task arithmetic are one algorithm with different sparsification and
 * consensus (mergekit-spec §3.7); each method file is a configuration of it.
 */
export type Sparsification = 'none' | 'magnitude' | 'random' | 'magnitude_outliers' | 'della_magprune';

export interface TaskVectorConfig {
  readonly sparsification: Sparsification;
  readonly consensus: boolean;
  readonly normalize: boolean;
  readonly rescale: boolean;
}

export interface TaskVectorMethod extends MethodSpec {
  readonly taskVector: TaskVectorConfig;
}

const GAMMA = modelNumber('gamma', 'Share of the largest-magnitude outliers removed.', { default: 0.01, min: 0, max: 1 });
const EPSILON = modelNumber('epsilon', 'Spread of keep probabilities around the density.', { default: 0.15, min: 0, max: 1 });

export function taskVectorMethod(
  id: string,
  label: string,
  referenceUrl: string,
  config: TaskVectorConfig,
): TaskVectorMethod {
  const extra: ParamSpec[] = [];
  if (config.sparsification === 'magnitude_outliers') extra.push(GAMMA);
  if (config.sparsification === 'della_magprune') extra.push(EPSILON);
  return {
    id,
    label,
    referenceUrl,
    base: 'required',
    minModels: 1,
    maxModels: undefined,
    taskVector: config,
    params: [
      WEIGHT,
      modelNumber('density', 'Share of the task vector kept.', { default: 1, min: 0, max: 1 }),
      ...extra,
      globalBoolean('normalize', 'Divide by the sum of the (agreeing) weights.', config.normalize),
      globalBoolean('rescale', 'Rescale the sparsified task vector to its original L1 norm.', config.rescale),
      globalNumber('lambda', 'Scale of the merged task vector.', { default: 1 }),
      globalBoolean('int8_mask', 'Memory option in mergekit; no effect on the numbers.', false),
    ],
  };
}
