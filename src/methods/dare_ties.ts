import { taskVectorMethod } from './task-vector-family';

export const dare_ties = taskVectorMethod('dare_ties', 'DARE TIES', 'https://arxiv.org/abs/2311.03099', {
  sparsification: 'random',
  consensus: true,
  normalize: false,
  rescale: true,
});
