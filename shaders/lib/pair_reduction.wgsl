// The entry point of a block reduction over two encoded inputs (lib/two_inputs.wgsl): one invocation per block of
// BLOCK consecutive elements (lib/per_block.wgsl) hands the kernel each pair of elements in index order. The kernel
// declares `fn start_block()`, `fn add_element(a: f32, b: f32)` (adding into its own `var<private>` sums) and
// `fn end_block(block: u32)` (writing them out). Whole groups of eight are loaded at once; a block's last, partial group
// (the sub-chunk's end) element by element, leaving out the padding.
// #include "lib/two_inputs.wgsl"
// #include "lib/per_block.wgsl"

fn add_eight(a: Eight, b: Eight) {
  add_element(a.lo.x, b.lo.x);
  add_element(a.lo.y, b.lo.y);
  add_element(a.lo.z, b.lo.z);
  add_element(a.lo.w, b.lo.w);
  add_element(a.hi.x, b.hi.x);
  add_element(a.hi.y, b.hi.y);
  add_element(a.hi.z, b.hi.z);
  add_element(a.hi.w, b.hi.w);
}

fn each_block(block: u32, first: u32, last: u32) {
  start_block();
  for (var g = first / 8u; g < last / 8u; g += 1u) {
    add_eight(load_a8(g), load_b8(g));
  }
  let rest = last % 8u;
  if (rest != 0u) {
    let a = load_a8(last / 8u);
    let b = load_b8(last / 8u);
    for (var k = 0u; k < rest; k += 1u) {
      add_element(lane(a, k), lane(b, k));
    }
  }
  end_block(block);
}
