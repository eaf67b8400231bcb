// lora_delta: bakes a LoRA into decoded weight elements in place, W + scale·ΔW rounded to OUT_DTYPE, where
// ΔW[row][column] = Σ_k L[row][k]·R[k][column] in W's stored layout (L = B, R = A; with fan_in_fan_out L = Aᵀ, R = Bᵀ).
// A tiled matmul: each 16×16 workgroup computes one 16×16 tile of ΔW, streaming 16-wide slices of L and R through
// workgroup memory (decoded from their stored dtype to f32) and accumulating in f32. The dispatch covers the W rows
// [first_row, rows_end) and every column; only the sub-chunk's elements (W elements start .. start + count, start at
// row start_row, column start_col) are written, at values[dst_offset + i].
// #include "lib/dtype.wgsl"

const TILE: u32 = 16u;

override L_DTYPE: u32 = 0u;
override R_DTYPE: u32 = 0u;
override OUT_DTYPE: u32 = 0u;

struct Params {
  count: u32,
  dst_offset: u32,
  columns: u32,
  rank: u32,
  first_row: u32,
  rows_end: u32,
  start_row: u32,
  start_col: u32,
  // L[row][k] = left[(row - left_row) * left_stride + k * left_stride_k]; R[k][column] likewise with column.
  left_row: u32,
  left_stride: u32,
  left_stride_k: u32,
  right_stride: u32,
  right_stride_k: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> left: array<u32>;
@group(0) @binding(1) var<storage, read> right: array<u32>;
@group(0) @binding(2) var<storage, read_write> values: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> left_tile: array<array<f32, TILE>, TILE>;
var<workgroup> right_tile: array<array<f32, TILE>, TILE>;

fn left_at(row: u32, k: u32) -> f32 {
  let i = (row - params.left_row) * params.left_stride + k * params.left_stride_k;
  return bitcast<f32>(decode_bits(left[word_of(i, L_DTYPE)], i, L_DTYPE));
}

fn right_at(k: u32, column: u32) -> f32 {
  let i = column * params.right_stride + k * params.right_stride_k;
  return bitcast<f32>(decode_bits(right[word_of(i, R_DTYPE)], i, R_DTYPE));
}

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = params.first_row + wid.y * TILE + lid.y;
  let column = wid.x * TILE + lid.x;
  // Each invocation loads L[row][k0 + lid.x] and R[k0 + lid.y][column] of its tile; zeros outside.
  var sum = 0.0;
  for (var k0 = 0u; k0 < params.rank; k0 += TILE) {
    var l = 0.0;
    if (row < params.rows_end && k0 + lid.x < params.rank) {
      l = left_at(row, k0 + lid.x);
    }
    left_tile[lid.y][lid.x] = l;
    var r = 0.0;
    if (column < params.columns && k0 + lid.y < params.rank) {
      r = right_at(k0 + lid.y, column);
    }
    right_tile[lid.y][lid.x] = r;
    workgroupBarrier();
    let width = min(TILE, params.rank - k0);
    for (var k = 0u; k < width; k++) {
      sum += left_tile[lid.y][k] * right_tile[k][lid.x];
    }
    workgroupBarrier();
  }
  if (row >= params.rows_end || column >= params.columns) {
    return;
  }
  // The element's place in the sub-chunk: W index (row·columns + column) − start, skipping those outside.
  let from_start_row = (row - params.start_row) * params.columns + column;
  if (from_start_row < params.start_col || from_start_row - params.start_col >= params.count) {
    return;
  }
  let at = params.dst_offset + from_start_row - params.start_col;
  let w = bitcast<f32>(values[at]);
  values[at] = round_f32_bits(bitcast<u32>(w + params.scale * sum), OUT_DTYPE);
}
