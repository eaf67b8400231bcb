// random_bits probe: writes the counter hash of elements [start, start + count) of one stream, so tests can compare
// the WGSL hash with src/methods/random.ts word for word.
// #include "lib/hash.wgsl"
// #include "lib/per_element.wgsl"

struct Params {
  count: u32,
  seed: u32,
  stream: u32,
  start_lo: u32,
  start_hi: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

fn each_element(i: u32) {
  let lo = params.start_lo + i;
  out[i] = random_bits(params.seed, params.stream, lo, params.start_hi + select(0u, 1u, lo < params.start_lo));
}
