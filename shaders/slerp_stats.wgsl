// slerp_stats: per block of WORKGROUP elements, the f32 partial sums of a·a, b·b and a·b (a = base). Blocks are
// aligned to the tensor's element index; the host adds the partials in f64 in block order, so the statistics do not
// depend on where chunks are cut.
// #include "lib/index.wgsl"

struct Params {
  count: u32,
  stride: u32,
  base: u32,
  other: u32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> sums: array<vec3<f32>, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3<u32>) {
  let block = flat_group(wid, groups);
  let i = block * WORKGROUP + lid;
  var s = vec3<f32>(0.0);
  if (i < params.count) {
    let a = values[params.base * params.stride + i];
    let b = values[params.other * params.stride + i];
    s = vec3<f32>(a * a, b * b, a * b);
  }
  sums[lid] = s;
  workgroupBarrier();
  for (var width = WORKGROUP / 2u; width > 0u; width >>= 1u) {
    if (lid < width) {
      sums[lid] += sums[lid + width];
    }
    workgroupBarrier();
  }
  if (lid == 0u && block * WORKGROUP < params.count) {
    partials[block * 3u] = sums[0].x;
    partials[block * 3u + 1u] = sums[0].y;
    partials[block * 3u + 2u] = sums[0].z;
  }
}
