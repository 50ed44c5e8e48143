;; Monte-Carlo pi: `pi [samples]` (default 1,000,000) throws points into the unit square from a fixed
;; xorshift64 sequence and counts those inside the quarter circle. Prints
;;   pi=3.141592 samples=N hits=H
;; Exactly 5 float operations per sample (counted by the seller's metering): two scalings of the
;; random numbers to [0, 1), and x*x + y*y.
(module
  ;; @include lib.wat
  (data (i32.const 256) "pi=")
  (data (i32.const 264) " samples=")
  (data (i32.const 280) " hits=")
  (global $state (mut i64) (i64.const 0x2545F4914F6CDD1D))

  (func $random (result f64)
    (local $x i64)
    (local.set $x (global.get $state))
    (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
    (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
    (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
    (global.set $state (local.get $x))
    (f64.mul (f64.convert_i64_u (i64.shr_u (local.get $x) (i64.const 11))) (f64.const 0x1p-53)))

  (func (export "_start")
    (local $n i64) (local $i i64) (local $hits i64) (local $x f64) (local $y f64) (local $micro i64) (local $start i32)
    (local.set $n (i64.extend_i32_u (call $arg_u32 (i32.const 1) (i32.const 1000000))))
    (if (i64.eqz (local.get $n)) (then (local.set $n (i64.const 1))))
    (block $done
      (loop $sample
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $x (call $random))
        (local.set $y (call $random))
        (if (f64.le (f64.add (f64.mul (local.get $x) (local.get $x)) (f64.mul (local.get $y) (local.get $y))) (f64.const 1))
          (then (local.set $hits (i64.add (local.get $hits) (i64.const 1)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $sample)))
    ;; 4 hits / n in millionths, in integers, so the printing adds no float operation.
    (local.set $micro (i64.div_u (i64.mul (local.get $hits) (i64.const 4000000)) (local.get $n)))
    (call $put_text (i32.const 256) (i32.const 3))
    (call $put_u64 (i64.div_u (local.get $micro) (i64.const 1000000)))
    ;; the fraction with its leading zeros: print 1xxxxxx and turn the 1 into the decimal point
    (local.set $start (global.get $cursor))
    (call $put_u64 (i64.add (i64.rem_u (local.get $micro) (i64.const 1000000)) (i64.const 1000000)))
    (i32.store8 (local.get $start) (i32.const 46))
    (call $put_text (i32.const 264) (i32.const 9))
    (call $put_u64 (local.get $n))
    (call $put_text (i32.const 280) (i32.const 6))
    (call $put_u64 (local.get $hits))
    (call $put_byte (i32.const 10))
    (call $flush))
)
