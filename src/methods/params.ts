import type { ParamSpec } from './types';

type Options = Partial<Pick<ParamSpec, 'default' | 'min' | 'max'>> & { readonly required?: boolean };

/** A per-model number parameter (mergekit `tensor_parameters()`). */
export function modelNumber(name: string, description: string, options: Options = {}): ParamSpec {
  return { name, scope: 'model', type: 'number', required: options.required ?? false, description, ...rest(options) };
}

/** A global number parameter (mergekit `parameters()`). */
export function globalNumber(name: string, description: string, options: Options = {}): ParamSpec {
  return { name, scope: 'global', type: 'number', required: options.required ?? false, description, ...rest(options) };
}

export function globalInteger(name: string, description: string, options: Options = {}): ParamSpec {
  return { name, scope: 'global', type: 'integer', required: options.required ?? false, description, ...rest(options) };
}

export function globalBoolean(name: string, description: string, defaultValue: boolean): ParamSpec {
  return { name, scope: 'global', type: 'boolean', required: false, default: defaultValue, description };
}

function rest(options: Options): Partial<ParamSpec> {
  const { required: _required, ...others } = options;
  return others;
}

/** The per-model weight that most methods take. */
export const WEIGHT = modelNumber('weight', 'How much of this model goes into the merge.', { required: true });
