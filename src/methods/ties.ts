import { taskVectorMethod } from './task-vector-family';

export const ties = taskVectorMethod('ties', 'TIES', 'https://arxiv.org/abs/2306.01708', {
  sparsification: 'magnitude',
  consensus: true,
  normalize: true,
  rescale: false,
});
