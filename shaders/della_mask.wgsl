// della_mask: DELLA's magnitude-ranked Bernoulli masks, one workgroup per row of ROW_LENGTH elements. Each element's
// ascending rank of |δ| within its row (ties by index, as a stable sort) is counted against the row in shared-memory
// tiles; the element is kept when its counter-hash bits are below thresholds[m·ROW_LENGTH + rank] (the host's exact
// integer form of uniform < p(rank)). Models whose `window` flag is 0 are left alone.
// #include "lib/hash.wgsl"
// #include "lib/index.wgsl"
// #include "lib/task_vector.wgsl"

override MODELS: u32 = 1u;
override ROW_LENGTH: u32 = 1u;

@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> thresholds: array<u32>;
@group(0) @binding(4) var<storage, read_write> out_masks: array<u32>;

var<workgroup> tile: array<u32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3<u32>) {
  let row_start = flat_group(wid, groups) * ROW_LENGTH;
  if (row_start >= params.count) {
    return;
  }
  for (var m = 0u; m < MODELS; m++) {
    for (var slot = 0u; slot < ROW_LENGTH; slot += WORKGROUP) {
      let e = slot + lid;
      let mine = e < ROW_LENGTH;
      var key = 0u;
      if (mine) {
        key = rank_key(m, row_start + e, false);
      }
      var rank = 0u;
      for (var t = 0u; t < ROW_LENGTH; t += WORKGROUP) {
        if (t + lid < ROW_LENGTH) {
          tile[lid] = rank_key(m, row_start + t + lid, false);
        }
        workgroupBarrier();
        let size = min(WORKGROUP, ROW_LENGTH - t);
        for (var q = 0u; q < size; q++) {
          let other = tile[q];
          if (other < key || (other == key && t + q < e)) {
            rank++;
          }
        }
        workgroupBarrier();
      }
      if (mine && models[m].window != 0u) {
        let i = row_start + e;
        let lo = params.start_lo + i;
        let hi = params.start_hi + select(0u, 1u, lo < params.start_lo);
        let bits = random_bits(params.seed, models[m].stream, lo, hi);
        out_masks[m * params.stride + i] = select(0u, 1u, bits < thresholds[m * ROW_LENGTH + rank]);
      }
    }
  }
}
