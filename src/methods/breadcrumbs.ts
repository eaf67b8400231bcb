import { taskVectorMethod } from './task-vector-family';

export const breadcrumbs = taskVectorMethod('breadcrumbs', 'Model Breadcrumbs', 'https://arxiv.org/abs/2312.06795', {
  sparsification: 'magnitude_outliers',
  consensus: false,
  normalize: false,
  rescale: false,
});
