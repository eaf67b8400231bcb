// gram: per block of BLOCK consecutive elements (one invocation, index order), the f32 inner products vᵢ·vⱼ (i ≤ j, row-major upper triangle) of
// the member vectors vᵢ = x_{members[i]} (minus the base when HAS_BASE). The host adds the blocks in f64 in order into
// methods/gram.ts's Gram matrix, then computes the method's coefficients.
// #include "lib/per_block.wgsl"

override MEMBERS: u32 = 2u;
override HAS_BASE: bool = false;

struct Params {
  count: u32,
  stride: u32,
  base: u32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> members: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn member(m: u32, i: u32) -> f32 {
  let x = values[members[m] * params.stride + i];
  if (HAS_BASE) {
    return x - values[params.base * params.stride + i];
  }
  return x;
}

fn each_block(block: u32, first: u32, last: u32) {
  let pairs = MEMBERS * (MEMBERS + 1u) / 2u;
  var pair = 0u;
  for (var a = 0u; a < MEMBERS; a++) {
    for (var b = a; b < MEMBERS; b++) {
      var s = 0.0;
      for (var i = first; i < last; i++) {
        s += member(a, i) * member(b, i);
      }
      partials[block * pairs + pair] = s;
      pair++;
    }
  }
}
