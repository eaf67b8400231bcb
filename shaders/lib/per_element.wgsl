// The entry point of an element-wise kernel: one invocation per element below `params.count` (the including shader
// declares `params` with a `count`), each calling the kernel's `fn each_element(i: u32)`.
// #include "lib/index.wgsl"

@compute @workgroup_size(WORKGROUP)
fn main(at: Invocation) {
  let i = invocation_index(at);
  if (i < params.count) {
    each_element(i);
  }
}
