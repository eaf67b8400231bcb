import { formatBytes } from '../shared/format';
import type { MergeExpr, MergePlan, ParamValue, TensorExpr } from './types';

/** The plan in words, for the CLI's `--dry-run` and logs: sizes, shards, and every tensor's resolved parameters. */
export function describePlan(plan: MergePlan): string {
  const s = plan.summary;
  const lines = [
    `Inputs: ${plan.inputs.map((i) => (i.revision === undefined ? i.ref : `${i.ref}@${i.revision.slice(0, 12)}`)).join(', ')}`,
    `Output: ${s.tensorCount} tensors, ${formatBytes(s.outputBytes)} in ${s.shardCount} shard(s): ${plan.shards.map((x) => x.file).join(', ')}`,
    `Reads ${formatBytes(s.inputBytes)} of weights (each input tensor once); peak memory about ${formatBytes(s.peakMemoryBytes)}.`,
    `Also writes: ${plan.extraFiles.map((f) => f.name).join(', ')}`,
    ...plan.warnings.map((w) => `Note: ${w}`),
    '',
    'Resolved parameters per tensor:',
  ];
  const width = Math.max(...plan.tensors.map((t) => t.name.length));
  for (const tensor of plan.tensors) {
    lines.push(`  ${tensor.name.padEnd(width)}  ${tensor.dtype.padEnd(4)} [${tensor.shape.join(', ')}]  ${describeExpr(tensor.expr)}`);
  }
  return lines.join('\n');
}

/** Every LoRA baked onto a stage's output, as `stage + adapter`, in first-seen order (for the plan summary). */
export function stageLoraLabels(plan: MergePlan): string[] {
  const found = new Set<string>();
  const visit = (expr: TensorExpr): void => {
    if (expr.kind === 'merge') expr.inputs.forEach(visit);
    if (expr.kind !== 'lora') return;
    if (expr.weight.kind === 'merge') found.add(`${expr.weight.stage ?? 'stage'} + ${expr.a.input}`);
    visit(expr.weight);
  };
  for (const tensor of plan.tensors) visit(tensor.expr);
  return [...found];
}

function describeExpr(expr: TensorExpr): string {
  if (expr.kind === 'read') return `copy from ${expr.input}`;
  if (expr.kind === 'lora') return `${describeExpr(expr.weight)} + LoRA ×${round(expr.scale)}`;
  return describeMerge(expr);
}

function describeMerge(expr: MergeExpr): string {
  const head = `${expr.stage === undefined ? '' : `${expr.stage}: `}${mergeHead(expr)}`;
  const nested = expr.stage === undefined ? nestedStages(expr) : [];
  return nested.length === 0 ? head : `${head}  ⟵ ${nested.join('; ')}`;
}

function mergeHead(expr: MergeExpr): string {
  const globals = Object.entries(expr.globals).map(([k, v]) => `${k}=${format(v)}`);
  const names = [...new Set(expr.perModel.flatMap((p) => Object.keys(p)))];
  const perModel = names.map((name) => `${name}=[${expr.perModel.map((p) => (p[name] === undefined ? '–' : format(p[name] as ParamValue))).join(', ')}]`);
  return [expr.method, ...globals, ...perModel].join(' ');
}

/** The stages under a merge, deepest first; a stage with a LoRA baked onto its output reads `stage + adapter`. */
function nestedStages(expr: MergeExpr): string[] {
  return expr.inputs.flatMap((input) => {
    const merge = input.kind === 'merge' ? input : input.kind === 'lora' && input.weight.kind === 'merge' ? input.weight : undefined;
    if (merge === undefined) return [];
    const name = merge.stage ?? 'stage';
    const label = input.kind === 'lora' ? `${name} + ${input.a.input} (LoRA ×${round(input.scale)})` : name;
    return [...nestedStages(merge), `${label}: ${mergeHead(merge)}`];
  });
}

function format(value: ParamValue): string {
  return typeof value === 'boolean' ? String(value) : round(value);
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/**
 * Provenance for every shard's `__metadata__` (string values only, per the format): the tool, the recipe as written,
 * and each parent with the exact revision that was read.
 */
export function provenanceMetadata(plan: MergePlan, recipeText: string, toolVersion: string): Record<string, string> {
  return {
    merge_studio_version: toolVersion,
    merge_recipe: recipeText,
    merge_parents: JSON.stringify(plan.inputs.map((i) => ({ model: i.ref, ...(i.revision === undefined ? {} : { revision: i.revision }) }))),
  };
}
