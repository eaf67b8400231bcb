/**
 * What a merge method is, as data: the recipe parser validates against it, the canvas generates node forms
 * from it, and the plan reads arity and base rules from it. One file per method (named by its mergekit id)
 * exports a {@link MethodSpec}; `registry.ts` lists them.
 */

/** `global`: one value per output tensor (mergekit `parameters()`); `model`: one per input model (`tensor_parameters()`). */
export type ParamScope = 'global' | 'model';

export interface ParamSpec {
  readonly name: string;
  readonly scope: ParamScope;
  readonly type: 'number' | 'integer' | 'boolean';
  /** Method default; `undefined` with `required: true` means the user must give it. */
  readonly default?: number | boolean;
  readonly required: boolean;
  /** Inclusive bounds that the value must respect (validated per evaluated layer value). */
  readonly min?: number;
  readonly max?: number;
  /** One line for forms and error hints. */
  readonly description: string;
}

export interface MethodSpec {
  /** Exactly mergekit's `merge_method` name. */
  readonly id: string;
  readonly label: string;
  /** Paper or mergekit source the math follows. */
  readonly referenceUrl: string;
  /** `required`: the base is the reference point; `optional`; `none`: a base is just another input. */
  readonly base: 'required' | 'optional' | 'none';
  /** Inputs counted without the base. */
  readonly minModels: number;
  readonly maxModels: number | undefined;
  readonly params: readonly ParamSpec[];
}
