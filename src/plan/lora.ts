import type { Model } from '../io/model/types';
import { AppError } from '../shared/errors';
import { isPlainObject } from '../shared/json';

/** What the plan needs from a PEFT `adapter_config.json`. */
export interface LoraConfig {
  readonly rank: number;
  readonly alpha: number;
  /** `lora_alpha / r`, or `lora_alpha / √r` with rsLoRA (mergekit-spec §7.1). */
  readonly scale: number;
  readonly fanInFanOut: boolean;
  readonly rankPattern: Readonly<Record<string, number>>;
  readonly alphaPattern: Readonly<Record<string, number>>;
}

/** Validates an adapter config; DoRA and non-LoRA PEFT types are refused with a clear message. */
export function parseLoraConfig(value: unknown, adapter: string): LoraConfig {
  const fail = (what: string, hint = 'Use a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors).'): never => {
    throw new AppError('E_LORA_INVALID', `adapter_config.json of ${adapter} ${what}.`, { context: { model: adapter, file: 'adapter_config.json' }, hint });
  };
  if (!isPlainObject(value)) return fail('is not a JSON object');
  const type = value['peft_type'];
  if (type !== undefined && type !== 'LORA') fail(`is a ${String(type)} adapter; only LoRA can be baked in`);
  if (value['use_dora'] === true) fail('uses DoRA, which is not supported yet', 'Use a plain LoRA adapter.');
  const rank = value['r'];
  const alpha = value['lora_alpha'] ?? rank;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) return fail(`has no valid rank r (${JSON.stringify(rank)})`);
  if (typeof alpha !== 'number') return fail(`has no valid lora_alpha (${JSON.stringify(alpha)})`);
  const rs = value['use_rslora'] === true;
  const record = (key: string): Record<string, number> => {
    const v = value[key];
    return isPlainObject(v) ? (Object.fromEntries(Object.entries(v).filter(([, n]) => typeof n === 'number')) as Record<string, number>) : {};
  };
  return {
    rank,
    alpha,
    scale: rs ? alpha / Math.sqrt(rank) : alpha / rank,
    fanInFanOut: value['fan_in_fan_out'] === true,
    rankPattern: record('rank_pattern'),
    alphaPattern: record('alpha_pattern'),
  };
}

/**
 * PEFT's tensor names for the LoRA factors of a base weight: `model.layers.0.self_attn.q_proj.weight` →
 * `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight` (and `lora_B`).
 */
export function loraTensorNames(weightName: string): { a: string; b: string } | undefined {
  if (!weightName.endsWith('.weight')) return undefined;
  const module = weightName.slice(0, -'.weight'.length);
  return { a: `base_model.model.${module}.lora_A.weight`, b: `base_model.model.${module}.lora_B.weight` };
}

/** A loaded PEFT adapter: its folder's headers and its config. */
export interface LoadedAdapter {
  readonly model: Model;
  readonly config: LoraConfig;
}

const LORA_A = /^base_model\.model\.(.+)\.lora_A\.weight$/;

/** The base weights an adapter changes (`model.layers.0.self_attn.q_proj.weight`, …), from its `lora_A` tensor names. */
export function adaptedWeights(adapter: Model): string[] {
  const out: string[] = [];
  for (const name of adapter.tensors.keys()) {
    const match = LORA_A.exec(name);
    if (match !== null) out.push(`${match[1] as string}.weight`);
  }
  return out;
}

/**
 * Why factors A and B cannot be baked into `weight` (`W + scale·B·A`, transposed with fan_in_fan_out), or undefined when
 * the shapes fit.
 */
export function loraShapeProblem(
  weight: { readonly name: string; readonly shape: readonly number[] },
  a: readonly number[],
  b: readonly number[],
  fanInFanOut: boolean,
  names: { readonly lora: string; readonly model: string },
): string | undefined {
  const [out, inFeatures] = fanInFanOut ? [weight.shape[1], weight.shape[0]] : [weight.shape[0], weight.shape[1]];
  if (weight.shape.length === 2 && a.length === 2 && b.length === 2 && a[1] === inFeatures && b[0] === out && b[1] === a[0]) return undefined;
  return `LoRA ${names.lora} does not fit ${weight.name} of ${names.model}: A is [${a.join(', ')}], B is [${b.join(', ')}], the weight is [${weight.shape.join(', ')}].`;
}

/**
 * Whether adapter `lora` fits `model`, from headers alone: every weight it adapts must exist in the model with shapes
 * that agree with its factors. Returns how many weights it adapts and, when it does not fit, the first reason.
 */
export function adapterFit(model: Model, adapter: LoadedAdapter, lora: string): { readonly weights: number; readonly problem: string | undefined } {
  const weights = adaptedWeights(adapter.model);
  if (weights.length === 0) return { weights: 0, problem: `${lora} has no lora_A/lora_B tensors in PEFT's naming: it changes nothing.` };
  for (const name of weights) {
    const weight = model.tensors.get(name);
    if (weight === undefined) return { weights: weights.length, problem: `LoRA ${lora} adapts ${name}, which ${model.ref} does not have: it was trained on another model.` };
    const factors = loraTensorNames(name) as { a: string; b: string };
    const a = adapter.model.tensors.get(factors.a);
    const b = adapter.model.tensors.get(factors.b);
    if (a === undefined || b === undefined) return { weights: weights.length, problem: `LoRA ${lora} has ${factors.a} without its lora_B partner.` };
    const problem = loraShapeProblem(weight, a.shape, b.shape, adapter.config.fanInFanOut, { lora, model: model.ref });
    if (problem !== undefined) return { weights: weights.length, problem };
  }
  return { weights: weights.length, problem: undefined };
}
