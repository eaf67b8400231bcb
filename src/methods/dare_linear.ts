import { taskVectorMethod } from './task-vector-family';

export const dare_linear = taskVectorMethod('dare_linear', 'DARE linear', 'https://arxiv.org/abs/2311.03099', {
  sparsification: 'random',
  consensus: false,
  normalize: false,
  rescale: true,
});
