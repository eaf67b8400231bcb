/**
 * LoRAs baked onto a stage's output (`stage+adapter`, mergekit-multi keeps the reference's LoRA when it rewrites the
 * stage name to the intermediate model): every weight the adapter adapts must be one the stage produces. Shapes are
 * checked per tensor when the expression is built (tensor-expressions.ts); both before any weight is read.
 */
import { AppError } from '../shared/errors';
import { formatModelRef, stageNameOf } from '../recipe/model-ref';
import type { RecipeDocument } from '../recipe/types';
import type { CompileInput } from './compile-input';
import { adaptedWeights } from './lora';
import { inputKey, stageRefs } from './references';
import type { StageLayouts } from './stage-layout';

/** Refuses a LoRA on a stage that adapts a weight the stage's output does not have, naming the stage and the adapter. */
export function checkStageLoras(recipe: RecipeDocument, layouts: StageLayouts, adapters: CompileInput['adapters']): void {
  const names = new Map(recipe.stages.flatMap((s, i) => (s.name === undefined ? [] : [[s.name, i] as const])));
  const checked = new Set<string>();
  for (const stage of recipe.stages) {
    for (const ref of stageRefs(stage)) {
      const name = stageNameOf(ref, names);
      if (name === undefined || ref.lora === undefined || checked.has(formatModelRef(ref))) continue;
      checked.add(formatModelRef(ref));
      const lora = formatModelRef(ref.lora);
      const adapter = adapters?.get(inputKey(ref.lora));
      if (adapter === undefined) throw new AppError('E_INTERNAL', `Adapter ${lora} was not loaded.`);
      const produced = new Set(layouts.outputNames(names.get(name) as number));
      const weights = adaptedWeights(adapter.model);
      const missing = weights.find((w) => !produced.has(w));
      if (weights.length === 0 || missing !== undefined) {
        throw new AppError(
          'E_LORA_INVALID',
          missing === undefined
            ? `LoRA ${lora} on stage ${name} has no lora_A/lora_B tensors in PEFT's naming: it changes nothing.`
            : `LoRA ${lora} on stage ${name} adapts ${missing}, which stage ${name} does not produce: it was trained on another model.`,
          { context: { model: lora }, hint: `Use an adapter trained on the architecture and size of stage ${name}'s models.` },
        );
      }
    }
  }
}
