// The exact top-k selection of one model (methods/rank-window.ts): a window of ascending key ranks given as boundary
// keys, found by two histogram passes over the whole tensor. An element whose key equals a boundary key is decided by
// how many equal-key elements come before it in the tensor (ties go to the lower index).

struct Window {
  enabled: u32,
  has_lower: u32,
  has_upper: u32,
  pad0: u32,
  lower_bucket: u32,
  upper_bucket: u32,
  lower_key: u32,
  upper_key: u32,
  lower_skip: u32,
  upper_limit: u32,
  pad1: u32,
  pad2: u32,
}

/** Each model's window, at binding 2 of the window kernels. */
@group(0) @binding(2) var<storage, read> windows: array<Window>;

const BINS: u32 = 65536u;

/** Whether boundary `b` (0 lower, 1 upper) of window `w` exists, and its key. */
fn has_boundary(w: Window, b: u32) -> bool {
  return select(w.has_lower, w.has_upper, b == 1u) != 0u;
}

fn boundary_key(w: Window, b: u32) -> u32 {
  return select(w.lower_key, w.upper_key, b == 1u);
}
