import { breadcrumbs } from './breadcrumbs';
import { breadcrumbs_ties } from './breadcrumbs_ties';
import { dare_linear } from './dare_linear';
import { dare_ties } from './dare_ties';
import { della } from './della';
import { della_linear } from './della_linear';
import { karcher } from './karcher';
import { linear } from './linear';
import { model_stock } from './model_stock';
import { multislerp } from './multislerp';
import { nearswap } from './nearswap';
import { nuslerp } from './nuslerp';
import { passthrough } from './passthrough';
import { sce } from './sce';
import { slerp } from './slerp';
import { task_arithmetic } from './task_arithmetic';
import { ties } from './ties';
import type { MethodSpec } from './types';

/** Every merge method Merge Studio runs, by mergekit id. */
export const METHODS: readonly MethodSpec[] = [
  linear,
  slerp,
  nearswap,
  task_arithmetic,
  ties,
  dare_ties,
  dare_linear,
  breadcrumbs,
  breadcrumbs_ties,
  della,
  della_linear,
  model_stock,
  nuslerp,
  multislerp,
  karcher,
  sce,
  passthrough,
];

/** mergekit methods that exist but that Merge Studio does not run yet. */
export const UNSUPPORTED_METHODS: readonly string[] = ['ram', 'ramplus_tl', 'arcee_fusion'];

const BY_ID = new Map(METHODS.map((m) => [m.id, m]));

export function getMethod(id: string): MethodSpec | undefined {
  return BY_ID.get(id);
}
