// The keep decision of model m at element i (all kept, DARE's random draw, or the exact top-k mask in `masks`, read at
// binding 4), for the kernels that include lib/task_vector.wgsl.
// #include "lib/hash.wgsl"

@group(0) @binding(4) var<storage, read> masks: array<u32>;

fn kept(m: u32, i: u32) -> bool {
  let model = models[m];
  if (model.keep_all != 0u) {
    return true;
  }
  if (model.window != 0u) {
    return masks[m * params.stride + i] != 0u;
  }
  let lo = params.start_lo + i;
  let hi = params.start_hi + select(0u, 1u, lo < params.start_lo);
  return random_bits(params.seed, model.stream, lo, hi) < model.threshold;
}
