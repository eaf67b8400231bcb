// nearswap: w = clamp(t / max(|b − x|, 1e-6), 0, 1); y = w·x + (1 − w)·b, rounded to OUT_DTYPE.
// #include "lib/dtype.wgsl"
// #include "lib/per_element.wgsl"

override OUT_DTYPE: u32 = 0u;

struct Params {
  count: u32,
  stride: u32,
  base: u32,
  other: u32,
  t: f32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn each_element(i: u32) {
  let b = values[params.base * params.stride + i];
  let x = values[params.other * params.stride + i];
  let w = clamp(params.t / max(abs(b - x), 1e-6), 0.0, 1.0);
  out[i] = round_f32_bits(bitcast<u32>(w * x + (1.0 - w) * b), OUT_DTYPE);
}
