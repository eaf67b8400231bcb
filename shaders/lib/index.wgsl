// Dispatch geometry shared by the kernels: 256 invocations per workgroup, and a 2-D grid of workgroups (x up to
// 65,535) flattened into one element index, so a dispatch may cover more than 65,535 workgroups. Entry points take one
// `Invocation` and read their element (or block, or row) from it.

const WORKGROUP: u32 = 256u;

/** Reductions work in blocks of this many consecutive elements, one invocation per block, summed in index order. */
const BLOCK: u32 = 256u;

fn flat_group(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.y * groups.x + wid.x;
}

fn flat_index(wid: vec3<u32>, lid: u32, groups: vec3<u32>) -> u32 {
  return flat_group(wid, groups) * WORKGROUP + lid;
}

/**
 * The builtins of a 1-D kernel's entry point: `fn main(at: Invocation)`. (Uniformity analysis treats the whole struct
 * as non-uniform, so kernels that synchronise a workgroup on its index, like della_mask.wgsl, take the builtins.)
 */
struct Invocation {
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
  @builtin(num_workgroups) groups: vec3<u32>,
}

/** The invocation's flat index: the element (or block) it handles. */
fn invocation_index(at: Invocation) -> u32 {
  return flat_index(at.group, at.local, at.groups);
}
