import { taskVectorMethod } from './task-vector-family';

export const task_arithmetic = taskVectorMethod('task_arithmetic', 'Task Arithmetic', 'https://arxiv.org/abs/2212.04089', {
  sparsification: 'none',
  consensus: false,
  normalize: false,
  rescale: false,
});
