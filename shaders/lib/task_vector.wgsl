// Task vectors and their masks, shared by the task-vector kernels: the decoded inputs `values` and the per-model
// settings `models` are declared here at bindings 0 and 1; each kernel declares its `params`, and includes
// lib/task_vector_mask.wgsl where masks are read. δ_m = x_m − b in f32, kept where model m's mask says so — all kept,
// DARE's Bernoulli draw from the counter hash (keep when the 32 random bits are below ceil(density·2^32), i.e.
// uniform < density), or an exact top-k selection computed by window_mask.wgsl into `masks` (m·stride + i).

struct Model {
  input: u32,
  stream: u32,
  threshold: u32,
  keep_all: u32,
  weight: f32,
  scale: f32,
  window: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> models: array<Model>;

struct Params {
  count: u32,
  stride: u32,
  base: u32,
  seed: u32,
  start_lo: u32,
  start_hi: u32,
  lambda: f32,
  plain_divisor: f32,
}

/** Rank keys of the variance of δ across the MODELS models (SCE's selection; the same key for every m), not |δ_m|. */
override RANK_VARIANCE: bool = false;

/**
 * Model m's rank key at element i: the bits of |δ_m| — or of the variance with RANK_VARIANCE — (ascending), or
 * 0x7fffffff minus them (descending).
 */
fn rank_key(m: u32, i: u32, descending: bool) -> u32 {
  let ranked = select(delta_of(m, i), variance_of(i), RANK_VARIANCE);
  let magnitude = bitcast<u32>(ranked) & 0x7fffffffu;
  return select(magnitude, 0x7fffffffu - magnitude, descending);
}

/** The population variance of δ over the MODELS models at element i, in f32 (mean first, then squared deviations). */
fn variance_of(i: u32) -> f32 {
  var mean = 0.0;
  for (var m = 0u; m < MODELS; m++) {
    mean += delta_of(m, i);
  }
  mean /= f32(MODELS);
  var sum = 0.0;
  for (var m = 0u; m < MODELS; m++) {
    let d = delta_of(m, i) - mean;
    sum += d * d;
  }
  return sum / f32(MODELS);
}

fn delta_of(m: u32, i: u32) -> f32 {
  return values[models[m].input * params.stride + i] - values[params.base * params.stride + i];
}
