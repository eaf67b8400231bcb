// The counter-based hash of src/methods/random.ts, with the same u32 results: 32 random bits for element
// (index_lo, index_hi) of `stream` under `seed`. u32 multiplication wraps, as Math.imul does.

fn lowbias32(value: u32) -> u32 {
  var x = value;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

fn random_bits(seed: u32, stream: u32, index_lo: u32, index_hi: u32) -> u32 {
  let first = lowbias32(index_lo ^ lowbias32(seed) ^ stream);
  return lowbias32(first ^ index_hi ^ 0x9e3779b9u);
}
