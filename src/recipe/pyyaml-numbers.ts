/** Numbers as PyYAML (which mergekit uses) reads and writes them. */

/** PyYAML reads a float only with a dot and a signed exponent: `1.0e-4`, not `1e-4`. */
const PYYAML_FLOAT = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;

/** Whether PyYAML reads this scalar text as a number (YAML 1.1 core reads more, e.g. `1e-4`). */
export function isPyYamlNumber(text: string): boolean {
  return PYYAML_FLOAT.test(text.trim());
}

/** PyYAML-safe float text: a mantissa dot and a signed exponent (`1.0e-07` style is not needed, `1.0e-7` is). */
export function pyFloat(value: number): string {
  const text = String(value);
  return /e/.test(text) && !text.includes('.') ? text.replace('e', '.0e') : text;
}
