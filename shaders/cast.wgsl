// cast: decode `count` elements of SRC_DTYPE and round them to OUT_DTYPE, as f32 bits (integer work only, so the
// result is bit-exact, NaN payloads included).
// #include "lib/dtype.wgsl"
// #include "lib/per_element.wgsl"

override SRC_DTYPE: u32 = 0u;
override OUT_DTYPE: u32 = 0u;

struct Params {
  count: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn each_element(i: u32) {
  out[i] = round_f32_bits(decode_bits(src[word_of(i, SRC_DTYPE)], i, SRC_DTYPE), OUT_DTYPE);
}
