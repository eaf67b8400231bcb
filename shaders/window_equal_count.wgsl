// window_equal_count: per block of BLOCK consecutive elements, how many have a key equal to each boundary key
// (counts[(block·MODELS + m)·2 + b]); window_scan.wgsl turns these into each block's count of earlier equal keys.
// #include "lib/per_block.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/window.wgsl"

override MODELS: u32 = 1u;
override DESCENDING: bool = true;

@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read_write> counts: array<u32>;

fn each_block(block: u32, first: u32, last: u32) {
  for (var m = 0u; m < MODELS; m++) {
    let w = windows[m];
    var equal = vec2<u32>(0u);
    if (w.enabled != 0u) {
      for (var i = first; i < last; i++) {
        let key = rank_key(m, i, DESCENDING);
        equal += vec2<u32>(select(0u, 1u, w.has_lower != 0u && key == w.lower_key), select(0u, 1u, w.has_upper != 0u && key == w.upper_key));
      }
    }
    counts[(block * MODELS + m) * 2u] = equal.x;
    counts[(block * MODELS + m) * 2u + 1u] = equal.y;
  }
}
