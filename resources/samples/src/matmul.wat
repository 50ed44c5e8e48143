;; Dense matrix multiply: `matmul [n]` (default 64, at most 1024) fills n x n matrices
;;   A[i][j] = ((7i + 3j) mod 11) - 5,  B[i][j] = ((5i + 2j) mod 13) - 6
;; computes C = A x B in float64 and prints `matmul n=N checksum=S`, S the sum of C's elements (whole
;; numbers, summed as integers). The product is exactly 2 n^3 float operations (one multiply and one
;; add per (i, k, j)); nothing else in the module does float arithmetic, so an instrumented run must
;; count exactly 2 n^3.
(module
  ;; @include lib.wat
  (data (i32.const 256) "matmul n=")
  (data (i32.const 272) " checksum=")
  (data (i32.const 288) "not enough memory\n")

  (func (export "_start")
    (local $n i32) (local $i i32) (local $j i32) (local $k i32) (local $a i32) (local $b i32) (local $c i32)
    (local $bytes i32) (local $sum f64) (local $checksum i64) (local $cell i32)
    (local.set $n (call $arg_u32 (i32.const 1) (i32.const 64)))
    (if (i32.eqz (local.get $n)) (then (local.set $n (i32.const 1))))
    (if (i32.gt_u (local.get $n) (i32.const 1024)) (then (local.set $n (i32.const 1024))))
    (local.set $bytes (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3)))
    ;; A, B and C after the first page
    (if (i32.eq
          (memory.grow (i32.add (i32.div_u (i32.mul (local.get $bytes) (i32.const 3)) (i32.const 65536)) (i32.const 1)))
          (i32.const -1))
      (then
        (call $put_text (i32.const 288) (i32.const 18))
        (call $flush)
        (unreachable)))
    (local.set $a (i32.const 65536))
    (local.set $b (i32.add (local.get $a) (local.get $bytes)))
    (local.set $c (i32.add (local.get $b) (local.get $bytes)))
    (local.set $i (i32.const 0))
    (block $filled
      (loop $rows
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $cols
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $cell (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
            (f64.store (i32.add (local.get $a) (local.get $cell))
              (f64.convert_i32_s (i32.sub (i32.rem_u (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.mul (local.get $j) (i32.const 3))) (i32.const 11)) (i32.const 5))))
            (f64.store (i32.add (local.get $b) (local.get $cell))
              (f64.convert_i32_s (i32.sub (i32.rem_u (i32.add (i32.mul (local.get $i) (i32.const 5)) (i32.mul (local.get $j) (i32.const 2))) (i32.const 13)) (i32.const 6))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $cols
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $sum (f64.const 0))
            (local.set $k (i32.const 0))
            (block $dot_done
              (loop $dot
                (br_if $dot_done (i32.ge_u (local.get $k) (local.get $n)))
                (local.set $sum
                  (f64.add (local.get $sum)
                    (f64.mul
                      (f64.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 3))))
                      (f64.load (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j)) (i32.const 3)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $dot)))
            (f64.store (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3))) (local.get $sum))
            (local.set $checksum (i64.add (local.get $checksum) (i64.trunc_f64_s (local.get $sum))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    (call $put_text (i32.const 256) (i32.const 9))
    (call $put_u64 (i64.extend_i32_u (local.get $n)))
    (call $put_text (i32.const 272) (i32.const 10))
    (call $put_i64 (local.get $checksum))
    (call $put_byte (i32.const 10))
    (call $flush))
)
