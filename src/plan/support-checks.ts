/** Recipes the planner refuses up front: unsupported stage shapes and models of different architectures. */
import { AppError } from '../shared/errors';
import type { Model } from '../io/model/types';
import type { MergeStage } from '../recipe/types';
import { architectureClass } from './architectures';

/** Models of different architectures are refused (mergekit's `--allow-crimes` is not offered). */
export function checkArchitectures(donor: Model, models: Iterable<Model>): void {
  const expected = architectureClass(donor);
  for (const model of models) {
    const found = architectureClass(model);
    if (expected !== undefined && found !== undefined && found !== expected) {
      throw new AppError('E_ARCH_MISMATCH', `${model.ref} is a ${found} but ${donor.ref} is a ${expected}: models of different architectures cannot be merged.`, {
        context: { model: model.ref },
        hint: 'Merge fine-tunes of the same base architecture.',
      });
    }
  }
}

/** Multi-module stages and union tokenizers are not supported yet. */
export function checkSupported(stage: MergeStage): void {
  const where = stage.name === undefined ? 'the recipe' : `stage ${stage.name}`;
  const modules = Object.keys(stage.modules ?? {});
  if (modules.length > 1) {
    throw new AppError('E_UNSUPPORTED', `${where} has ${modules.length} modules (${modules.join(', ')}); multi-module (vision-language) architectures are not supported yet.`, {
      hint: 'Merge the text model alone, with models: or slices:.',
    });
  }
  if (stage.tokenizer?.source.kind === 'union') {
    throw new AppError('E_UNSUPPORTED', `${where} asks for a union tokenizer, which is not supported yet.`, {
      hint: 'Use tokenizer_source: base, or a model reference.',
    });
  }
}
