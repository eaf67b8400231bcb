// decode: one input's `count` encoded elements of SRC_DTYPE into f32 bits at `dst_offset` of the inputs buffer that
// the method kernels read (input m of a sub-chunk lives at m·stride).
// #include "lib/dtype.wgsl"
// #include "lib/per_element.wgsl"

override SRC_DTYPE: u32 = 0u;

struct Params {
  count: u32,
  dst_offset: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn each_element(i: u32) {
  dst[params.dst_offset + i] = decode_bits(src[word_of(i, SRC_DTYPE)], i, SRC_DTYPE);
}
