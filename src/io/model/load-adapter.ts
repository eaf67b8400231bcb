/** Reading a PEFT LoRA adapter folder: headers and small JSON only, never weights. */
import { AppError } from '../../shared/errors';
import { isPlainObject } from '../../shared/json';
import { loadModel } from './load-model';
import type { Model, ModelFolder } from './types';

/**
 * Reads adapter folder `folder` (`name` is how the recipe calls it): its tensor headers and adapter_config.json as a
 * JSON object, which the plan validates. Refused with `E_LORA_INVALID` when it is not a PEFT adapter.
 */
export async function readAdapterFolder(folder: ModelFolder, name: string, signal?: AbortSignal): Promise<{ model: Model; config: Readonly<Record<string, unknown>> }> {
  const model = await loadModel(folder, signal === undefined ? {} : { signal });
  if (!model.files.some((f) => f.path === 'adapter_config.json')) {
    throw new AppError('E_LORA_INVALID', `${name} has no adapter_config.json: it is not a PEFT LoRA adapter.`, {
      context: { model: name },
      hint: 'The part after "+" in model+lora must be a PEFT LoRA adapter.',
    });
  }
  const source = await folder.open('adapter_config.json');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await source.read(0, source.size, signal)));
  } catch (cause) {
    throw new AppError('E_LORA_INVALID', `adapter_config.json of ${name} is not valid JSON.`, { context: { model: name }, cause });
  }
  if (!isPlainObject(json)) throw new AppError('E_LORA_INVALID', `adapter_config.json of ${name} is not an object.`, { context: { model: name } });
  return { model, config: json };
}
