// window_mask: the keep mask of each model with a window (masks[m·stride + i] = 1 or 0). One invocation walks a block
// of BLOCK consecutive elements in index order, starting from the block's count of earlier equal keys
// (window_scan.wgsl), so an element equal to a boundary key knows how many equal keys precede it in the tensor.
// #include "lib/per_block.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/window.wgsl"

override MODELS: u32 = 1u;
override DESCENDING: bool = true;

@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> prefix: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_masks: array<u32>;

fn each_block(block: u32, first: u32, last: u32) {
  for (var m = 0u; m < MODELS; m++) {
    let w = windows[m];
    if (w.enabled == 0u) {
      continue;
    }
    var seen_lower = prefix[(block * MODELS + m) * 2u];
    var seen_upper = prefix[(block * MODELS + m) * 2u + 1u];
    for (var i = first; i < last; i++) {
      let key = rank_key(m, i, DESCENDING);
      var keep = true;
      if (w.has_lower != 0u) {
        if (key == w.lower_key) {
          keep = seen_lower >= w.lower_skip;
          seen_lower++;
        } else {
          keep = key > w.lower_key;
        }
      }
      if (w.has_upper != 0u) {
        if (key == w.upper_key) {
          keep = keep && seen_upper < w.upper_limit;
          seen_upper++;
        } else {
          keep = keep && key < w.upper_key;
        }
      }
      out_masks[m * params.stride + i] = select(0u, 1u, keep);
    }
  }
}
