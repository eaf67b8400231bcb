/** A stage's parameters as a form generated from its method's schema (global parameters, or one input's own). */
import { Fragment } from 'react';

import { getMethod } from '../methods/registry';
import type { ParamScope } from '../methods/types';
import { useAppStore } from '../state/hooks';
import { formatSetting, parseSetting, settingSummary } from '../state/param-notation';
import { stageParameters } from '../state/stage-edits';
import { ParamField } from '../ui/ParamField';

export interface StageParamsProps {
  readonly index: number;
  readonly scope: ParamScope;
  /** For `scope: 'model'`: the input whose entry is edited. */
  readonly model?: string;
  readonly idPrefix: string;
  /** On a node: a list value also gets a one-line summary that opens the stage in the inspector and its editor. */
  readonly summaries?: boolean;
}

export function StageParams({ index, scope, model, idPrefix, summaries = false }: StageParamsProps) {
  const stage = useAppStore((s) => s.recipe.stages[index]);
  const setParameter = useAppStore((s) => s.setParameter);
  const select = useAppStore((s) => s.select);
  const togglePanel = useAppStore((s) => s.togglePanel);
  const method = stage === undefined ? undefined : getMethod(stage.mergeMethod);
  if (stage === undefined || method === undefined) return null;
  const params = method.params.filter((p) => p.scope === scope);
  if (params.length === 0) return null;
  const values = stageParameters(stage, model);
  return (
    <div className="param-list">
      {params.map((param) => {
        const summary = summaries ? settingSummary(values[param.name]) : undefined;
        return (
          <Fragment key={param.name}>
            <ParamField
              id={`${idPrefix}-${param.name}`}
              name={param.name}
              description={param.description}
              required={param.required && param.default === undefined}
              value={formatSetting(values[param.name])}
              placeholder={param.default === undefined ? undefined : `${String(param.default)} (default)`}
              onCommit={(text) => {
                const parsed = parseSetting(text);
                if (!parsed.ok) return parsed.reason;
                setParameter(index, param.name, parsed.value, model);
                return undefined;
              }}
            />
            {summary === undefined ? null : (
              <button
                type="button"
                className="nodrag param-summary"
                title={`${param.name}: ${formatSetting(values[param.name])} — edit in the inspector`}
                onClick={() => {
                  select({ kind: 'stage', index });
                  togglePanel('inspector', true);
                }}
              >
                {param.name}: {summary}
              </button>
            )}
          </Fragment>
        );
      })}
    </div>
  );
}
