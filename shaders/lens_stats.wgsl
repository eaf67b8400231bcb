// lens_stats: the weight lens's statistics of two encoded inputs (a, b), per block of BLOCK consecutive elements, as
// seven f32 sums added in index order by one invocation: a·a, b·b, a·b, (b − a)² (squared from the difference itself,
// so identical inputs give exactly 0), b² − a² (as (b − a)(b + a), for the angle of near-parallel tensors), and with NearSwap's t (`with_t` ≠ 0) the count of elements NearSwap takes
// entirely from b (w = 1, which holds exactly when |b − a| ≤ `limit`: the host passes t rounded down to f32, or −1
// when t < 1e-6 and no element can reach w = 1) and Σw, w = clamp(t / max(|b − a|, 1e-6), 0, 1) as nearswap.wgsl.
// The host adds the partials in f64 in block order (src/gpu/kernels/lens-stats.ts).
// #include "lib/pair_reduction.wgsl"

struct Params {
  count: u32,
  with_t: u32,
  t: f32,
  limit: f32,
}

@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

/** (b − a)², (b − a)(b + a), and with a t whether the element is swapped and its weight w. */
fn difference_terms(a: f32, b: f32) -> vec4<f32> {
  let d = b - a;
  if (params.with_t == 0u) {
    return vec4<f32>(d * d, d * (a + b), 0.0, 0.0);
  }
  let m = abs(d);
  return vec4<f32>(d * d, d * (a + b), select(0.0, 1.0, m <= params.limit), clamp(params.t / max(m, 1e-6), 0.0, 1.0));
}

var<private> products: vec3<f32>;
var<private> differences: vec4<f32>;

fn start_block() {
  products = vec3<f32>(0.0);
  differences = vec4<f32>(0.0);
}

fn add_element(a: f32, b: f32) {
  products += vec3<f32>(a * a, b * b, a * b);
  differences += difference_terms(a, b);
}

fn end_block(block: u32) {
  let at = block * 7u;
  partials[at] = products.x;
  partials[at + 1u] = products.y;
  partials[at + 2u] = products.z;
  partials[at + 3u] = differences.x;
  partials[at + 4u] = differences.y;
  partials[at + 5u] = differences.z;
  partials[at + 6u] = differences.w;
}
