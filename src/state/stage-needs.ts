/**
 * What an unfinished stage still needs, in canvas terms ("wire a model into base"), so the studio can guide the user
 * on the node itself instead of reporting the recipe's YAML error while it is being built.
 */
import { getMethod } from '../methods/registry';
import { besidesBase } from '../recipe/model-ref';
import type { MergeStage } from '../recipe/types';

/** The wiring a stage lacks before it can merge: empty when it has what its method needs. */
export function stageNeeds(stage: MergeStage): string[] {
  if (stage.slices !== undefined || stage.modules !== undefined) return [];
  const method = getMethod(stage.mergeMethod);
  if (method === undefined) return [];
  const needs: string[] = [];
  const models = stage.models ?? [];
  const base = stage.baseModel;
  if (method.base === 'required' && base === undefined) needs.push('wire a model into base');
  // The base may also be listed among the models (SLERP recipes do): it does not count as one of them.
  const others = besidesBase(models, base).length;
  const missing = method.minModels - others;
  if (missing > 0) needs.push(missing === 1 && others === 0 ? 'wire a model into models' : `wire ${missing} more model${missing === 1 ? '' : 's'} into models`);
  return needs;
}

/** One line for the run area while the recipe is unfinished, or undefined when every stage has its inputs. */
export function unfinishedRecipe(stages: readonly MergeStage[]): string | undefined {
  if (stages.length === 0) return 'Add a merge node and wire models into it.';
  const lines = stages.flatMap((stage) => {
    const needs = stageNeeds(stage);
    return needs.length === 0 ? [] : [`${stage.name ?? 'the final merge'}: ${needs.join(', ')}`];
  });
  return lines.length === 0 ? undefined : `Finish the recipe on the canvas — ${lines.join('; ')}.`;
}
