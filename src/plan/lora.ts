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
