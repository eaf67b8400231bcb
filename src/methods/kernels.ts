import { breadcrumbs } from './breadcrumbs';
import { breadcrumbs_ties } from './breadcrumbs_ties';
import { dare_linear } from './dare_linear';
import { dare_ties } from './dare_ties';
import { della } from './della';
import { della_linear } from './della_linear';
import { karcherKernel } from './karcher';
import type { MethodKernel } from './kernel';
import { linearKernel } from './linear';
import { modelStockKernel } from './model_stock';
import { multislerpKernel } from './multislerp';
import { nearswapKernel } from './nearswap';
import { nuslerpKernel } from './nuslerp';
import { passthroughKernel } from './passthrough';
import { sceKernel } from './sce';
import { slerpKernel } from './slerp';
import { task_arithmetic } from './task_arithmetic';
import { taskVectorKernel } from './task-vector-kernel';
import { ties } from './ties';

/** The CPU kernel of every method, by mergekit id (the oracle the WebGPU kernels are checked against). */
export const KERNELS: Readonly<Record<string, MethodKernel>> = {
  linear: linearKernel,
  slerp: slerpKernel,
  nearswap: nearswapKernel,
  passthrough: passthroughKernel,
  model_stock: modelStockKernel,
  nuslerp: nuslerpKernel,
  multislerp: multislerpKernel,
  karcher: karcherKernel,
  sce: sceKernel,
  ...Object.fromEntries(
    [task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs, breadcrumbs_ties, della, della_linear].map((m) => [m.id, taskVectorKernel(m.taskVector)]),
  ),
};
