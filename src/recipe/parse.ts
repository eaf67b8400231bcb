/**
 * The recipe parser's entry: YAML text → {@link RecipeDocument}. The pieces: `yaml-reader` (checked primitives and
 * positions), `read-stage` (one document's structure), `read-values` (model references and parameters) and
 * `validate` (stage names and order).
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Node } from 'yaml';

import { AppError } from '../shared/errors';
import { readStage } from './read-stage';
import type { MergeStage, RecipeDocument } from './types';
import { validateStages } from './validate';
import { YamlReader } from './yaml-reader';

/**
 * Parses a mergekit recipe: one YAML document, or several (mergekit-multi) whose named stages refer to one another.
 * Unlike mergekit, unknown keys are errors (a typo such as `parameter:` silently does nothing there). Every error
 * carries the 1-based line and column of the offending node.
 */
export function parseRecipe(text: string): RecipeDocument {
  const lineCounter = new LineCounter();
  const reader = new YamlReader(lineCounter);
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
    stages.push(readStage(reader, document.contents as Node, String(stages.length), documents.length > 1 ? i + 1 : undefined));
  }
  if (stages.length === 0) {
    throw new AppError('E_RECIPE_INVALID', 'The recipe has no merge in it.', { hint: 'Start with merge_method: and models:.' });
  }
  const { final, order } = validateStages(stages, reader.positions);
  return { stages, final, order, positions: reader.positions, warnings: reader.warnings };
}
