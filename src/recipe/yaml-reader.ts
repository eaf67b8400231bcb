/**
 * The YAML primitives of the recipe parser: scalars, names, lists and mappings checked as they are read, each
 * node's position recorded under a recipe path, and failures that carry the 1-based line and column.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { LineCounter, Node, YAMLMap } from 'yaml';

import { AppError } from '../shared/errors';
import type { ErrorCode } from '../shared/errors';
import { isPyYamlNumber, pyFloat } from './pyyaml-numbers';
import type { RecipePosition, RecipeWarning, Scalar } from './types';

export class YamlReader {
  readonly positions: Record<string, RecipePosition> = {};
  readonly warnings: RecipeWarning[] = [];

  constructor(private readonly lineCounter: LineCounter) {}

  /** A number, boolean or string; numbers PyYAML would read as text get a warning. */
  scalar(node: Node): Scalar {
    if (!isScalar(node)) this.fail(node, 'Expected a single value here.', 'Write a number, true/false or a name.');
    const value = node.value;
    if (typeof value === 'number') {
      const source = node.source ?? String(value);
      if (!isPyYamlNumber(source)) {
        const pos = this.at(node);
        this.warnings.push({
          ...pos,
          message: `${source} is read as a number here, but mergekit (PyYAML) reads it as text; write ${pyFloat(value)} to be safe in both.`,
        });
      }
      if (!Number.isFinite(value)) this.fail(node, `${source} is not a finite number.`, 'Use an ordinary number.');
      return value;
    }
    if (typeof value === 'boolean' || typeof value === 'string') return value;
    this.fail(node, `Unexpected value ${JSON.stringify(value)}.`, 'Write a number, true/false or a name.');
  }

  string(node: Node, key: string): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      this.fail(node, `${key} must be a non-empty name.`, `Write ${key}: followed by text.`);
    }
    return node.value;
  }

  seq(node: Node, key: string, nonEmpty: boolean): Node[] {
    if (!isSeq(node)) this.fail(node, `${key} must be a list.`, `Write each item of ${key} on its own line starting with "- ".`);
    if (nonEmpty && node.items.length === 0) this.fail(node, `${key} is empty.`, `List at least one item under ${key}.`);
    return node.items as Node[];
  }

  /** A mapping with string keys, checked against `allowed` (unknown keys fail with the closest allowed one). */
  map(node: Node, where: string, allowed: readonly string[] | undefined): Map<string, Node> {
    if (!isMap(node)) this.fail(node, `${where} must be a mapping of keys to values.`, 'Check the indentation.');
    const out = new Map<string, Node>();
    for (const pair of (node as YAMLMap<Node, Node>).items) {
      const keyNode = pair.key;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') this.fail(keyNode ?? node, `Keys in ${where} must be names.`, 'Check the indentation.');
      const key = keyNode.value;
      if (allowed !== undefined && !allowed.includes(key)) {
        const guess = closest(key, allowed);
        this.fail(
          keyNode,
          `Unknown key \`${key}\` in ${where}${guess === undefined ? '' : `; did you mean \`${guess}\``}?`,
          `Allowed here: ${allowed.join(', ')}. (mergekit would silently ignore it.)`,
        );
      }
      out.set(key, pair.value ?? (keyNode as Node));
    }
    return out;
  }

  /** A copy of a scalar node with another value (and the same position). */
  retext(node: Node, value: string): Node {
    const copy = node.clone() as Node & { value: unknown };
    copy.value = value;
    return copy;
  }

  /** Records where the node at a recipe path (`0/models/1/parameters/weight`) is written. */
  mark(path: string, node: Node): void {
    this.positions[path] = this.at(node);
  }

  fail(node: Node, message: string, hint: string, code: ErrorCode = 'E_RECIPE_INVALID'): never {
    const { line, column } = this.at(node);
    throw new AppError(code, `Line ${line}: ${message}`, { context: { line, column }, hint });
  }

  private at(node: Node): RecipePosition {
    const pos = this.lineCounter.linePos(node.range?.[0] ?? 0);
    return { line: pos.line, column: pos.col };
  }
}

/** The allowed key nearest to `key` by edit distance, when it is close enough to be a typo. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}
