;; The bf16 codecs of codec.ts in WebAssembly SIMD: the same integer bit work (a bf16 is the top half of an f32;
;; narrowing rounds to nearest even and keeps NaNs quiet), four to eight elements per instruction. Compiled by
;; `npm run wasm` into codec-wasm.ts; codec-simd.ts runs it on blocks copied into this module's memory.
;; Every function takes byte addresses in the memory and an element count; any count works (a scalar tail).
(module
  (memory (export "memory") 4)

  ;; One f32 bit pattern rounded to its bf16 bit pattern (the scalar twin of $rne4 for the tail).
  (func $rne (param $bits i32) (result i32)
    (if (result i32) (i32.gt_u (i32.and (local.get $bits) (i32.const 0x7fffffff)) (i32.const 0x7f800000))
      (then (i32.and (i32.or (i32.shr_u (local.get $bits) (i32.const 16)) (i32.const 0x0040)) (i32.const 0xffff)))
      (else (i32.shr_u
        (i32.add (i32.add (local.get $bits) (i32.const 0x7fff))
                 (i32.and (i32.shr_u (local.get $bits) (i32.const 16)) (i32.const 1)))
        (i32.const 16)))))

  ;; bf16 at $src → f32 at $dst: each 16-bit pattern moves to the top half of a 32-bit lane.
  (func (export "decode_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $vectorEnd i32) (local $end i32) (local $v v128) (local $zero v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 1))))
    (local.set $vectorEnd (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (block $done
      (loop $eight
        (br_if $done (i32.ge_u (local.get $src) (local.get $vectorEnd)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store (local.get $dst)
          (i8x16.shuffle 16 16 0 1 16 16 2 3 16 16 4 5 16 16 6 7 (local.get $v) (local.get $zero)))
        (v128.store offset=16 (local.get $dst)
          (i8x16.shuffle 16 16 8 9 16 16 10 11 16 16 12 13 16 16 14 15 (local.get $v) (local.get $zero)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $eight)))
    (block $tailDone
      (loop $one
        (br_if $tailDone (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store (local.get $dst) (i32.shl (i32.load16_u (local.get $src)) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $one))))

  ;; f32 at $src → bf16 at $dst, rounding to nearest even.
  (func (export "encode_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $vectorEnd i32) (local $end i32)
    (local $quiet v128) (local $half v128) (local $one v128) (local $abs v128) (local $inf v128)
    (local.set $quiet (i32x4.splat (i32.const 0x00400000)))
    (local.set $half (i32x4.splat (i32.const 0x7fff)))
    (local.set $one (i32x4.splat (i32.const 1)))
    (local.set $abs (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $inf (i32x4.splat (i32.const 0x7f800000)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vectorEnd (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done
      (loop $eight
        (br_if $done (i32.ge_u (local.get $src) (local.get $vectorEnd)))
        ;; the top halves of two rounded vectors, packed into one
        (v128.store (local.get $dst)
          (i8x16.shuffle 2 3 6 7 10 11 14 15 18 19 22 23 26 27 30 31
            (call $rne4 (v128.load (local.get $src)) (local.get $quiet) (local.get $half) (local.get $one) (local.get $abs) (local.get $inf))
            (call $rne4 (v128.load offset=16 (local.get $src)) (local.get $quiet) (local.get $half) (local.get $one) (local.get $abs) (local.get $inf))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $eight)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store16 (local.get $dst) (call $rne (i32.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
        (br $tail))))

  ;; f32 at $p rounded in place to the nearest bf16 value (what a write to bf16 and a read back give).
  (func (export "round_bf16") (param $p i32) (param $n i32)
    (local $vectorEnd i32) (local $end i32)
    (local $quiet v128) (local $half v128) (local $one v128) (local $abs v128) (local $inf v128) (local $top v128)
    (local.set $quiet (i32x4.splat (i32.const 0x00400000)))
    (local.set $half (i32x4.splat (i32.const 0x7fff)))
    (local.set $one (i32x4.splat (i32.const 1)))
    (local.set $abs (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $inf (i32x4.splat (i32.const 0x7f800000)))
    (local.set $top (i32x4.splat (i32.const 0xffff0000)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vectorEnd (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $p) (local.get $vectorEnd)))
        (v128.store (local.get $p)
          (v128.and (call $rne4 (v128.load (local.get $p)) (local.get $quiet) (local.get $half) (local.get $one) (local.get $abs) (local.get $inf))
                    (local.get $top)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $four)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store (local.get $p) (i32.shl (call $rne (i32.load (local.get $p))) (i32.const 16)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail))))

  ;; Four f32 bit patterns rounded to nearest even, the bf16 result in each lane's top half (the low half is
  ;; garbage for the caller to drop). Constants come in as arguments so the loops keep them in registers.
  (func $rne4 (param $b v128) (param $quiet v128) (param $half v128) (param $one v128) (param $abs v128) (param $inf v128) (result v128)
    (v128.bitselect
      (v128.or (local.get $b) (local.get $quiet))
      (i32x4.add (i32x4.add (local.get $b) (local.get $half))
                 (v128.and (i32x4.shr_u (local.get $b) (i32.const 16)) (local.get $one)))
      (i32x4.gt_s (v128.and (local.get $b) (local.get $abs)) (local.get $inf))))

  ;; f32 at $src → f16 at $dst, rounding to nearest even with the bits of codec.ts's f32BitsToF16Bits. Whole groups of
  ;; eight: the caller's block has room for a last group's extra lanes (read and written, never copied out).
  (func (export "encode_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $eight
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst)
          (i16x8.narrow_i32x4_u (call $f16x4 (v128.load (local.get $src))) (call $f16x4 (v128.load offset=16 (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $eight))))

  ;; Four f32 bit patterns → f16 bit patterns in the low half of each lane.
  (func $f16x4 (param $b v128) (result v128)
    (local $abs v128) (local $r v128)
    (local.set $abs (v128.and (local.get $b) (i32x4.splat (i32.const 0x7fffffff))))
    ;; Below 2^-14 (f16 subnormals): adding 0.5 rounds |x| to f16's subnormal step, 2^-24, to nearest even; the sum's low
    ;; significand bits are then the f16 bits (1024 at the top is the smallest normal's pattern).
    (local.set $r (i32x4.sub (f32x4.add (local.get $abs) (f32x4.splat (f32.const 0.5))) (i32x4.splat (i32.const 0x3f000000))))
    ;; Normal: round the 13 dropped bits to nearest even, re-bias the exponent from 127 to 15.
    (local.set $r
      (v128.bitselect
        (i32x4.shr_u
          (i32x4.sub
            (i32x4.add (i32x4.add (local.get $abs) (i32x4.splat (i32.const 0xfff)))
                       (v128.and (i32x4.shr_u (local.get $abs) (i32.const 13)) (i32x4.splat (i32.const 1))))
            (i32x4.splat (i32.const 0x38000000)))
          (i32.const 13))
        (local.get $r)
        (i32x4.ge_s (local.get $abs) (i32x4.splat (i32.const 0x38800000)))))
    ;; From 65520 up (infinity included): infinity.
    (local.set $r (v128.bitselect (i32x4.splat (i32.const 0x7c00)) (local.get $r) (i32x4.ge_s (local.get $abs) (i32x4.splat (i32.const 0x477ff000)))))
    ;; NaN: quiet, the payload's top bits kept.
    (local.set $r
      (v128.bitselect
        (v128.or (i32x4.splat (i32.const 0x7e00)) (v128.and (i32x4.shr_u (local.get $abs) (i32.const 13)) (i32x4.splat (i32.const 0x3ff))))
        (local.get $r)
        (i32x4.gt_s (local.get $abs) (i32x4.splat (i32.const 0x7f800000)))))
    (v128.or (local.get $r) (v128.and (i32x4.shr_u (local.get $b) (i32.const 16)) (i32x4.splat (i32.const 0x8000)))))
)
