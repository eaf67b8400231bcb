// window_scan: for each (model, boundary) series, the exclusive prefix over blocks of the equal-key counts, starting
// from `seen` (the equal keys in earlier sub-chunks, from the host); totals[s] gets the series' new running total.
// One invocation per series walks the blocks in order (a sub-chunk has at most a few thousand blocks).

struct ScanParams {
  blocks: u32,
  series: u32,
}

@group(0) @binding(0) var<storage, read_write> counts: array<u32>;
@group(0) @binding(1) var<storage, read> seen: array<u32>;
@group(0) @binding(2) var<storage, read_write> totals: array<u32>;
@group(0) @binding(3) var<uniform> params: ScanParams;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = gid.x;
  if (s >= params.series) {
    return;
  }
  var running = seen[s];
  for (var block = 0u; block < params.blocks; block++) {
    let at = block * params.series + s;
    let count = counts[at];
    counts[at] = running;
    running += count;
  }
  totals[s] = running;
}
