// The entry point of a block reduction: one invocation per block of BLOCK consecutive elements below `params.count`
// (the including shader declares `params` with a `count`), each calling the kernel's
// `fn each_block(block: u32, first: u32, last: u32)` with the block's half-open element range [first, last).
// #include "lib/index.wgsl"

@compute @workgroup_size(WORKGROUP)
fn main(at: Invocation) {
  let block = invocation_index(at);
  let first = block * BLOCK;
  if (first < params.count) {
    each_block(block, first, min(first + BLOCK, params.count));
  }
}
