import { taskVectorMethod } from './task-vector-family';

export const della_linear = taskVectorMethod('della_linear', 'DELLA linear', 'https://arxiv.org/abs/2406.11617', {
  sparsification: 'della_magprune',
  consensus: false,
  normalize: false,
  rescale: true,
});
