// task_vector: y = b + λ · mix_m(w_m · scale_m · mask_m · δ_m), with TIES sign consensus when CONSENSUS (sum the
// agreeing terms, divide by the agreeing weights) or a plain sum divided by the weight sum, rounded to OUT_DTYPE.
// Serves task_arithmetic, dare_linear, dare_ties and ties/breadcrumbs without sparsification, and with SCE the erase
// step of sce: the majority sign of the unweighted (masked) task vectors, and a divisor of at least 1e-6.
// #include "lib/dtype.wgsl"
// #include "lib/per_element.wgsl"
// #include "lib/task_vector.wgsl"
// #include "lib/task_vector_mask.wgsl"

override MODELS: u32 = 1u;
override OUT_DTYPE: u32 = 0u;
override CONSENSUS: bool = false;
override NORMALIZE: bool = true;
override SCE: bool = false;

/** SCE's floor on the agreeing weights (mergekit's guard). */
const SCE_EPS: f32 = 1e-6;

@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn weighted(m: u32, i: u32) -> f32 {
  if (!kept(m, i)) {
    return 0.0;
  }
  return models[m].weight * delta_of(m, i) * models[m].scale;
}

fn each_element(i: u32) {
  var mixed = 0.0;
  if (CONSENSUS) {
    var total = 0.0;
    for (var m = 0u; m < MODELS; m++) {
      total += select(weighted(m, i), select(0.0, delta_of(m, i), kept(m, i)), SCE);
    }
    let majority = select(-1.0, 1.0, total >= 0.0);
    var divisor = 0.0;
    for (var m = 0u; m < MODELS; m++) {
      let w = weighted(m, i);
      if (w != 0.0 && sign(w) == majority) {
        mixed += w;
        divisor += models[m].weight;
      }
    }
    if (SCE) {
      mixed /= max(divisor, SCE_EPS);
    } else if (NORMALIZE) {
      mixed /= select(divisor, 1.0, divisor == 0.0);
    }
  } else {
    for (var m = 0u; m < MODELS; m++) {
      mixed += weighted(m, i);
    }
    if (NORMALIZE) {
      mixed /= params.plain_divisor;
    }
  }
  let b = values[params.base * params.stride + i];
  out[i] = round_f32_bits(bitcast<u32>(b + mixed * params.lambda), OUT_DTYPE);
}
