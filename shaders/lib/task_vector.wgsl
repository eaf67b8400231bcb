// Task vectors and their masks, shared by task_vector.wgsl and task_vector_l1.wgsl (each declares `values`,
// `models` and `params`): δ_m = x_m − b in f32, kept where model m's random mask says so (DARE's Bernoulli draw
// from the counter hash: keep when the 32 random bits are below ceil(density·2^32), i.e. uniform < density).
// #include "lib/hash.wgsl"

struct Model {
  input: u32,
  stream: u32,
  threshold: u32,
  keep_all: u32,
  weight: f32,
  scale: f32,
  pad0: u32,
  pad1: u32,
}

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

fn delta_of(m: u32, i: u32) -> f32 {
  return values[models[m].input * params.stride + i] - values[params.base * params.stride + i];
}

fn kept(m: u32, i: u32) -> bool {
  let model = models[m];
  if (model.keep_all != 0u) {
    return true;
  }
  let lo = params.start_lo + i;
  let hi = params.start_hi + select(0u, 1u, lo < params.start_lo);
  return random_bits(params.seed, model.stream, lo, hi) < model.threshold;
}
