import { taskVectorMethod } from './task-vector-family';

export const breadcrumbs_ties = taskVectorMethod('breadcrumbs_ties', 'Model Breadcrumbs with TIES', 'https://arxiv.org/abs/2312.06795', {
  sparsification: 'magnitude_outliers',
  consensus: true,
  normalize: false,
  rescale: false,
});
