// weighted_sum: y = (Σ_m w_m · x_m) / divisor, rounded to OUT_DTYPE. Serves linear, passthrough with a scale, and
// slerp's blend (weights s₀, s₁ from the host).
// #include "lib/dtype.wgsl"
// #include "lib/per_element.wgsl"

override INPUTS: u32 = 1u;
override OUT_DTYPE: u32 = 0u;

struct Params {
  count: u32,
  stride: u32,
  divisor: f32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn each_element(i: u32) {
  var sum = 0.0;
  for (var m = 0u; m < INPUTS; m++) {
    sum += weights[m] * values[m * params.stride + i];
  }
  out[i] = round_f32_bits(bitcast<u32>(sum / params.divisor), OUT_DTYPE);
}
