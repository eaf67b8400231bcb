// Dispatch geometry shared by the kernels: 256 invocations per workgroup, and a 2-D grid of workgroups (x up to
// 65,535) flattened into one element index, so a dispatch may cover more than 65,535 workgroups.

const WORKGROUP: u32 = 256u;

/** Reductions work in blocks of this many consecutive elements, one invocation per block, summed in index order. */
const BLOCK: u32 = 256u;

fn flat_group(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.y * groups.x + wid.x;
}

fn flat_index(wid: vec3<u32>, lid: u32, groups: vec3<u32>) -> u32 {
  return flat_group(wid, groups) * WORKGROUP + lid;
}
