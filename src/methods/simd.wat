;; The hottest elementwise loops of the CPU kernels in WebAssembly SIMD, computing exactly what their TypeScript
;; twins compute: the same f64 arithmetic on f32 inputs, the same operation order, f32 results rounded to nearest
;; even. Compiled by `npm run wasm` into simd-wasm.ts; simd.ts copies blocks into this memory and calls these.
;; Addresses are byte offsets in the memory; counts are elements.
(module
  (memory (export "memory") 8)

  ;; slerp's statistics: for four lanes (element index mod 4, the block starting at lane 0), the running sums of
  ;; x·x, y·y and x·y, in f64, each lane adding its elements in index order. $lanes holds 12 f64:
  ;; [xx0 yy0 xy0 xx1 yy1 xy1 xx2 yy2 xy2 xx3 yy3 xy3] (the TypeScript kernel's layout). $n is a multiple of 4.
  (func (export "slerp_stats") (param $x i32) (param $y i32) (param $n i32) (param $lanes i32)
    (local $end i32)
    (local $xx01 v128) (local $yy01 v128) (local $xy01 v128) (local $xx23 v128) (local $yy23 v128) (local $xy23 v128)
    (local $vx v128) (local $vy v128) (local $x01 v128) (local $x23 v128) (local $y01 v128) (local $y23 v128)
    (local.set $xx01 (call $pair (local.get $lanes) (i32.const 0) (i32.const 24)))
    (local.set $yy01 (call $pair (local.get $lanes) (i32.const 8) (i32.const 32)))
    (local.set $xy01 (call $pair (local.get $lanes) (i32.const 16) (i32.const 40)))
    (local.set $xx23 (call $pair (local.get $lanes) (i32.const 48) (i32.const 72)))
    (local.set $yy23 (call $pair (local.get $lanes) (i32.const 56) (i32.const 80)))
    (local.set $xy23 (call $pair (local.get $lanes) (i32.const 64) (i32.const 88)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $vx (v128.load (local.get $x)))
        (local.set $vy (v128.load (local.get $y)))
        (local.set $x01 (f64x2.promote_low_f32x4 (local.get $vx)))
        (local.set $x23 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vx) (local.get $vx))))
        (local.set $y01 (f64x2.promote_low_f32x4 (local.get $vy)))
        (local.set $y23 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vy) (local.get $vy))))
        (local.set $xx01 (f64x2.add (local.get $xx01) (f64x2.mul (local.get $x01) (local.get $x01))))
        (local.set $yy01 (f64x2.add (local.get $yy01) (f64x2.mul (local.get $y01) (local.get $y01))))
        (local.set $xy01 (f64x2.add (local.get $xy01) (f64x2.mul (local.get $x01) (local.get $y01))))
        (local.set $xx23 (f64x2.add (local.get $xx23) (f64x2.mul (local.get $x23) (local.get $x23))))
        (local.set $yy23 (f64x2.add (local.get $yy23) (f64x2.mul (local.get $y23) (local.get $y23))))
        (local.set $xy23 (f64x2.add (local.get $xy23) (f64x2.mul (local.get $x23) (local.get $y23))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $four)))
    (call $unpair (local.get $lanes) (i32.const 0) (i32.const 24) (local.get $xx01))
    (call $unpair (local.get $lanes) (i32.const 8) (i32.const 32) (local.get $yy01))
    (call $unpair (local.get $lanes) (i32.const 16) (i32.const 40) (local.get $xy01))
    (call $unpair (local.get $lanes) (i32.const 48) (i32.const 72) (local.get $xx23))
    (call $unpair (local.get $lanes) (i32.const 56) (i32.const 80) (local.get $yy23))
    (call $unpair (local.get $lanes) (i32.const 64) (i32.const 88) (local.get $xy23)))

  ;; Two f64 at byte offsets $lo and $hi of $base as one vector, and back.
  (func $pair (param $base i32) (param $lo i32) (param $hi i32) (result v128)
    (f64x2.replace_lane 1
      (f64x2.splat (f64.load (i32.add (local.get $base) (local.get $lo))))
      (f64.load (i32.add (local.get $base) (local.get $hi)))))
  (func $unpair (param $base i32) (param $lo i32) (param $hi i32) (param $v v128)
    (f64.store (i32.add (local.get $base) (local.get $lo)) (f64x2.extract_lane 0 (local.get $v)))
    (f64.store (i32.add (local.get $base) (local.get $hi)) (f64x2.extract_lane 1 (local.get $v))))

  ;; out = f32(s0·x + s1·y), the products and the sum in f64 (slerp's blend, and any two-term weighted sum).
  (func (export "blend2") (param $x i32) (param $y i32) (param $n i32) (param $s0 f64) (param $s1 f64) (param $out i32)
    (local $end i32) (local $c0 v128) (local $c1 v128) (local $vx v128) (local $vy v128)
    (local.set $c0 (f64x2.splat (local.get $s0)))
    (local.set $c1 (f64x2.splat (local.get $s1)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $vx (v128.load (local.get $x)))
        (local.set $vy (v128.load (local.get $y)))
        (v128.store (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (local.get $vx)))
                         (f64x2.mul (local.get $c1) (f64x2.promote_low_f32x4 (local.get $vy)))))
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (call $high (local.get $vx))))
                         (f64x2.mul (local.get $c1) (f64x2.promote_low_f32x4 (call $high (local.get $vy))))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $four)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tailDone
      (loop $one
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $out)
          (f32.demote_f64 (f64.add (f64.mul (local.get $s0) (f64.promote_f32 (f32.load (local.get $x))))
                                   (f64.mul (local.get $s1) (f64.promote_f32 (f32.load (local.get $y)))))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $one))))

  ;; NearSwap: w = min(1, max(0, t / max(|b − x|, 1e-6))), out = f32(w·x + (1 − w)·b), all in f64.
  (func (export "nearswap") (param $b i32) (param $x i32) (param $n i32) (param $t f64) (param $out i32)
    (local $end i32) (local $vb v128) (local $vx v128)
    (local.set $end (i32.add (local.get $b) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
        (local.set $vb (v128.load (local.get $b)))
        (local.set $vx (v128.load (local.get $x)))
        (v128.store (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (call $nearswap2 (f64x2.promote_low_f32x4 (local.get $vb)) (f64x2.promote_low_f32x4 (local.get $vx)) (local.get $t))
            (call $nearswap2 (f64x2.promote_low_f32x4 (call $high (local.get $vb))) (f64x2.promote_low_f32x4 (call $high (local.get $vx))) (local.get $t))))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $four)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tailDone
      (loop $one
        (br_if $tailDone (i32.ge_u (local.get $b) (local.get $end)))
        (f32.store (local.get $out)
          (f32x4.extract_lane 0
            (call $nearswap2 (f64x2.splat (f64.promote_f32 (f32.load (local.get $b))))
                             (f64x2.splat (f64.promote_f32 (f32.load (local.get $x)))) (local.get $t))))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $one))))

  ;; Two NearSwap results as f32 in the low half of the vector.
  (func $nearswap2 (param $b v128) (param $x v128) (param $t f64) (result v128)
    (local $w v128)
    (local.set $w
      (f64x2.min (f64x2.splat (f64.const 1))
        (f64x2.max (f64x2.splat (f64.const 0))
          (f64x2.div (f64x2.splat (local.get $t))
            (f64x2.max (f64x2.abs (f64x2.sub (local.get $b) (local.get $x))) (f64x2.splat (f64.const 1e-6)))))))
    (f32x4.demote_f64x2_zero
      (f64x2.add (f64x2.mul (local.get $w) (local.get $x))
                 (f64x2.mul (f64x2.sub (f64x2.splat (f64.const 1)) (local.get $w)) (local.get $b)))))

  ;; The same loops reading bf16 inputs directly (2 bytes per element; a bf16 is the top half of an f32), so a
  ;; chunk of bf16 weights needs no separate decode pass. Counts are multiples of 4. Node's V8 does not inline calls
  ;; between WebAssembly functions, so slerp's two loops (the hottest) widen inline: one shuffle puts two bf16 in the
  ;; low f32 lanes, ready for promote_low, and each turn takes eight elements (one 16-byte load per input).
  (func (export "slerp_stats_bf16") (param $x i32) (param $y i32) (param $n i32) (param $lanes i32)
    (local $end i32)
    (local $xx01 v128) (local $yy01 v128) (local $xy01 v128) (local $xx23 v128) (local $yy23 v128) (local $xy23 v128)
    (local $vx v128) (local $vy v128) (local $x01 v128) (local $x23 v128) (local $y01 v128) (local $y23 v128)
    (local $zero v128) (local $low v128)
    (local.set $low (v128.const i64x2 -1 0))
    (local.set $xx01 (call $pair (local.get $lanes) (i32.const 0) (i32.const 24)))
    (local.set $yy01 (call $pair (local.get $lanes) (i32.const 8) (i32.const 32)))
    (local.set $xy01 (call $pair (local.get $lanes) (i32.const 16) (i32.const 40)))
    (local.set $xx23 (call $pair (local.get $lanes) (i32.const 48) (i32.const 72)))
    (local.set $yy23 (call $pair (local.get $lanes) (i32.const 56) (i32.const 80)))
    (local.set $xy23 (call $pair (local.get $lanes) (i32.const 64) (i32.const 88)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $eight
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $vx (v128.load (local.get $x)))
        (local.set $vy (v128.load (local.get $y)))
        ;; A last turn with four elements left zeroes the four after them: +0 added to a sum leaves its bits (the
        ;; sums start at +0 and so are never -0).
        (if (i32.gt_u (i32.add (local.get $x) (i32.const 16)) (local.get $end))
          (then
            (local.set $vx (v128.and (local.get $vx) (local.get $low)))
            (local.set $vy (v128.and (local.get $vy) (local.get $low)))))
        ;; elements 0-3, then 4-7: each lane adds its elements in index order
        (local.set $x01 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 0 1 16 16 2 3 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
        (local.set $x23 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 4 5 16 16 6 7 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
        (local.set $y01 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 0 1 16 16 2 3 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))
        (local.set $y23 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 4 5 16 16 6 7 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))
        (local.set $xx01 (f64x2.add (local.get $xx01) (f64x2.mul (local.get $x01) (local.get $x01))))
        (local.set $yy01 (f64x2.add (local.get $yy01) (f64x2.mul (local.get $y01) (local.get $y01))))
        (local.set $xy01 (f64x2.add (local.get $xy01) (f64x2.mul (local.get $x01) (local.get $y01))))
        (local.set $xx23 (f64x2.add (local.get $xx23) (f64x2.mul (local.get $x23) (local.get $x23))))
        (local.set $yy23 (f64x2.add (local.get $yy23) (f64x2.mul (local.get $y23) (local.get $y23))))
        (local.set $xy23 (f64x2.add (local.get $xy23) (f64x2.mul (local.get $x23) (local.get $y23))))
        (local.set $x01 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 8 9 16 16 10 11 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
        (local.set $x23 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 12 13 16 16 14 15 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
        (local.set $y01 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 8 9 16 16 10 11 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))
        (local.set $y23 (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 12 13 16 16 14 15 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))
        (local.set $xx01 (f64x2.add (local.get $xx01) (f64x2.mul (local.get $x01) (local.get $x01))))
        (local.set $yy01 (f64x2.add (local.get $yy01) (f64x2.mul (local.get $y01) (local.get $y01))))
        (local.set $xy01 (f64x2.add (local.get $xy01) (f64x2.mul (local.get $x01) (local.get $y01))))
        (local.set $xx23 (f64x2.add (local.get $xx23) (f64x2.mul (local.get $x23) (local.get $x23))))
        (local.set $yy23 (f64x2.add (local.get $yy23) (f64x2.mul (local.get $y23) (local.get $y23))))
        (local.set $xy23 (f64x2.add (local.get $xy23) (f64x2.mul (local.get $x23) (local.get $y23))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $eight)))
    (call $unpair (local.get $lanes) (i32.const 0) (i32.const 24) (local.get $xx01))
    (call $unpair (local.get $lanes) (i32.const 8) (i32.const 32) (local.get $yy01))
    (call $unpair (local.get $lanes) (i32.const 16) (i32.const 40) (local.get $xy01))
    (call $unpair (local.get $lanes) (i32.const 48) (i32.const 72) (local.get $xx23))
    (call $unpair (local.get $lanes) (i32.const 56) (i32.const 80) (local.get $yy23))
    (call $unpair (local.get $lanes) (i32.const 64) (i32.const 88) (local.get $xy23)))

  ;; blend2 on bf16 inputs, eight elements a turn (past $n, up to seven values come from stale bytes and are never
  ;; copied out). With $encode = 0 the f32 results go to $out; with $encode = 1 they are rounded to bf16 (nearest
  ;; even, NaN kept quiet: codec.wat's $rne4, inline) and stored as bf16, so the output needs no encode pass.
  (func (export "blend2_bf16") (param $x i32) (param $y i32) (param $n i32) (param $s0 f64) (param $s1 f64) (param $out i32) (param $encode i32)
    (local $end i32) (local $c0 v128) (local $c1 v128) (local $vx v128) (local $vy v128) (local $zero v128)
    (local $lo v128) (local $hi v128)
    (local $quiet v128) (local $half v128) (local $one v128) (local $abs v128) (local $inf v128)
    (local.set $quiet (i32x4.splat (i32.const 0x00400000)))
    (local.set $half (i32x4.splat (i32.const 0x7fff)))
    (local.set $one (i32x4.splat (i32.const 1)))
    (local.set $abs (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $inf (i32x4.splat (i32.const 0x7f800000)))
    (local.set $c0 (f64x2.splat (local.get $s0)))
    (local.set $c1 (f64x2.splat (local.get $s1)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $eight
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $vx (v128.load (local.get $x)))
        (local.set $vy (v128.load (local.get $y)))
        (local.set $lo
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 0 1 16 16 2 3 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
                         (f64x2.mul (local.get $c1) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 0 1 16 16 2 3 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))))
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 4 5 16 16 6 7 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
                         (f64x2.mul (local.get $c1) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 4 5 16 16 6 7 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))))))
        (local.set $hi
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 8 9 16 16 10 11 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
                         (f64x2.mul (local.get $c1) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 8 9 16 16 10 11 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))))
            (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 12 13 16 16 14 15 16 16 16 16 16 16 16 16 (local.get $vx) (local.get $zero))))
                         (f64x2.mul (local.get $c1) (f64x2.promote_low_f32x4 (i8x16.shuffle 16 16 12 13 16 16 14 15 16 16 16 16 16 16 16 16 (local.get $vy) (local.get $zero))))))))
        (if (local.get $encode)
          (then
            ;; the rounded bit patterns' top halves, packed into eight bf16
            (v128.store (local.get $out)
              (i8x16.shuffle 2 3 6 7 10 11 14 15 18 19 22 23 26 27 30 31
                (v128.bitselect
                  (v128.or (local.get $lo) (local.get $quiet))
                  (i32x4.add (i32x4.add (local.get $lo) (local.get $half)) (v128.and (i32x4.shr_u (local.get $lo) (i32.const 16)) (local.get $one)))
                  (i32x4.gt_s (v128.and (local.get $lo) (local.get $abs)) (local.get $inf)))
                (v128.bitselect
                  (v128.or (local.get $hi) (local.get $quiet))
                  (i32x4.add (i32x4.add (local.get $hi) (local.get $half)) (v128.and (i32x4.shr_u (local.get $hi) (i32.const 16)) (local.get $one)))
                  (i32x4.gt_s (v128.and (local.get $hi) (local.get $abs)) (local.get $inf)))))
            (local.set $out (i32.add (local.get $out) (i32.const 16))))
          (else
            (v128.store (local.get $out) (local.get $lo))
            (v128.store offset=16 (local.get $out) (local.get $hi))
            (local.set $out (i32.add (local.get $out) (i32.const 32)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $eight))))

  (func (export "nearswap_bf16") (param $b i32) (param $x i32) (param $n i32) (param $t f64) (param $out i32)
    (local $end i32) (local $vb v128) (local $vx v128)
    (local.set $end (i32.add (local.get $b) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
        (local.set $vb (call $bf16x4 (local.get $b)))
        (local.set $vx (call $bf16x4 (local.get $x)))
        (v128.store (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (call $nearswap2 (f64x2.promote_low_f32x4 (local.get $vb)) (f64x2.promote_low_f32x4 (local.get $vx)) (local.get $t))
            (call $nearswap2 (f64x2.promote_low_f32x4 (call $high (local.get $vb))) (f64x2.promote_low_f32x4 (call $high (local.get $vx))) (local.get $t))))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $four))))

;; Weighted sums (linear): acc[i] = acc[i] + w·x[i] in f64, one input at a time, then out = f32(acc / d).
  (func (export "weighted_add") (param $x i32) (param $n i32) (param $w f64) (param $acc i32)
    (local $end i32) (local $c v128) (local $v v128)
    (local.set $c (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        (call $accumulate4 (local.get $acc) (local.get $c) (local.get $v))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 32)))
        (br $four))))

  (func (export "weighted_add_bf16") (param $x i32) (param $n i32) (param $w f64) (param $acc i32)
    (local $end i32) (local $c v128)
    (local.set $c (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (call $accumulate4 (local.get $acc) (local.get $c) (call $bf16x4 (local.get $x)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 32)))
        (br $four))))

  ;; Four f64 sums at $acc plus c·v (v: four f32).
  (func $accumulate4 (param $acc i32) (param $c v128) (param $v v128)
    (v128.store (local.get $acc)
      (f64x2.add (v128.load (local.get $acc)) (f64x2.mul (local.get $c) (f64x2.promote_low_f32x4 (local.get $v)))))
    (v128.store offset=16 (local.get $acc)
      (f64x2.add (v128.load offset=16 (local.get $acc)) (f64x2.mul (local.get $c) (f64x2.promote_low_f32x4 (call $high (local.get $v)))))))

  (func (export "divide_to_f32") (param $acc i32) (param $n i32) (param $d f64) (param $out i32)
    (local $end i32) (local $dv v128)
    (local.set $dv (f64x2.splat (local.get $d)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (v128.store (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.div (v128.load (local.get $acc)) (local.get $dv)))
            (f32x4.demote_f64x2_zero (f64x2.div (v128.load offset=16 (local.get $acc)) (local.get $dv)))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $four))))

  ;; Four bf16 at $p as four f32.
  (func $bf16x4 (param $p i32) (result v128)
    (i8x16.shuffle 16 16 0 1 16 16 2 3 16 16 4 5 16 16 6 7 (v128.load64_zero (local.get $p)) (v128.const i64x2 0 0)))

  ;; The upper two f32 lanes moved down (for promote_low).
  (func $high (param $v v128) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
)
