// window_histogram: the counting passes of the exact top-k. Pass 0 (LOW false) counts the high 16 bits of every
// model's rank keys into hist[m·65536 + bin]; pass 1 (LOW true) counts the low 16 bits of the keys that fall in a
// boundary's high bucket into hist[(2m + b)·65536 + bin]. The host adds the histograms of every sub-chunk.
// #include "lib/per_element.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/window.wgsl"

override MODELS: u32 = 1u;
override LOW: bool = false;
override DESCENDING: bool = true;

@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read_write> hist: array<atomic<u32>>;

fn each_element(i: u32) {
  for (var m = 0u; m < MODELS; m++) {
    let w = windows[m];
    if (w.enabled == 0u) {
      continue;
    }
    let key = rank_key(m, i, DESCENDING);
    if (!LOW) {
      atomicAdd(&hist[m * BINS + (key >> 16u)], 1u);
      continue;
    }
    if (w.has_lower != 0u && (key >> 16u) == w.lower_bucket) {
      atomicAdd(&hist[(2u * m) * BINS + (key & 0xffffu)], 1u);
    }
    if (w.has_upper != 0u && (key >> 16u) == w.upper_bucket) {
      atomicAdd(&hist[(2u * m + 1u) * BINS + (key & 0xffffu)], 1u);
    }
  }
}
