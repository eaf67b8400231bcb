;; Q8_0 quantization of encode.ts (ggml's quantize_row_q8_0_ref) in WebAssembly SIMD, with the same bits: per block of
;; 32 values, amax = max |x|, d = amax / 127, id = 1 / d (0 when d is 0), q = round(x · id) with halves away from zero,
;; all in f32 (f32 division and multiplication round once, as the TypeScript's double arithmetic then fround does).
;; Compiled by `npm run wasm` into q8-wasm.ts; q8-simd.ts runs it on blocks copied into this module's memory and writes
;; each block's f16 scale itself (from the f32 scales this leaves at $scales).
(module
  (memory (export "memory") 4)

  ;; |x| of four lanes.
  (func $abs (param $x v128) (result v128) (f32x4.abs (local.get $x)))

  ;; Four values of one block quantized with `id` (splat): i32 lanes in [-127, 127]. A product that is not finite (NaN;
  ;; infinite where a block of subnormals makes id overflow) gives 0, as the TypeScript's ToInt8 does (and x86's C).
  (func $quantize4 (param $x v128) (param $id v128) (result v128)
    (local $y v128) (local $t v128) (local $up v128)
    (local.set $y (f32x4.mul (local.get $x) (local.get $id)))
    (local.set $t (f32x4.trunc (local.get $y)))
    ;; y − trunc(y) is exact; a fraction of at least one half moves one step away from zero (C roundf).
    (local.set $up
      (v128.and
        (f32x4.ge (f32x4.abs (f32x4.sub (local.get $y) (local.get $t))) (f32x4.splat (f32.const 0.5)))
        (v128.or (v128.and (local.get $y) (i32x4.splat (i32.const 0x80000000))) (f32x4.splat (f32.const 1)))))
    (v128.and
      (i32x4.trunc_sat_f32x4_s (f32x4.add (local.get $t) (local.get $up)))
      (f32x4.lt (f32x4.abs (local.get $y)) (f32x4.splat (f32.const inf)))))

  ;; $n blocks of 32 f32 at $src → 34 bytes each at $dst (2 left for the scale, then 32 signed bytes), and each block's
  ;; scale d as f32 at $scales.
  (func (export "quantize_q8_0") (param $src i32) (param $dst i32) (param $scales i32) (param $n i32)
    (local $end i32) (local $m v128) (local $amax f32) (local $d f32) (local $id v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 7))))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $m
          (f32x4.max
            (f32x4.max
              (f32x4.max (call $abs (v128.load (local.get $src))) (call $abs (v128.load offset=16 (local.get $src))))
              (f32x4.max (call $abs (v128.load offset=32 (local.get $src))) (call $abs (v128.load offset=48 (local.get $src)))))
            (f32x4.max
              (f32x4.max (call $abs (v128.load offset=64 (local.get $src))) (call $abs (v128.load offset=80 (local.get $src))))
              (f32x4.max (call $abs (v128.load offset=96 (local.get $src))) (call $abs (v128.load offset=112 (local.get $src)))))))
        (local.set $amax
          (f32.max
            (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
            (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
        (local.set $d (f32.div (local.get $amax) (f32.const 127)))
        (f32.store (local.get $scales) (local.get $d))
        (local.set $id
          (f32x4.splat (select (f32.const 0) (f32.div (f32.const 1) (local.get $d)) (f32.eq (local.get $d) (f32.const 0)))))
        (v128.store offset=2 (local.get $dst)
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s
              (call $quantize4 (v128.load (local.get $src)) (local.get $id))
              (call $quantize4 (v128.load offset=16 (local.get $src)) (local.get $id)))
            (i16x8.narrow_i32x4_s
              (call $quantize4 (v128.load offset=32 (local.get $src)) (local.get $id))
              (call $quantize4 (v128.load offset=48 (local.get $src)) (local.get $id)))))
        (v128.store offset=18 (local.get $dst)
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s
              (call $quantize4 (v128.load offset=64 (local.get $src)) (local.get $id))
              (call $quantize4 (v128.load offset=80 (local.get $src)) (local.get $id)))
            (i16x8.narrow_i32x4_s
              (call $quantize4 (v128.load offset=96 (local.get $src)) (local.get $id))
              (call $quantize4 (v128.load offset=112 (local.get $src)) (local.get $id)))))
        (local.set $src (i32.add (local.get $src) (i32.const 128)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 34)))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (br $block)))))
