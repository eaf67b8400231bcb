import { taskVectorMethod } from './task-vector-family';

export const della = taskVectorMethod('della', 'DELLA', 'https://arxiv.org/abs/2406.11617', {
  sparsification: 'della_magprune',
  consensus: true,
  normalize: true,
  rescale: true,
});
