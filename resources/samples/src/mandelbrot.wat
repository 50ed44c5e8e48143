;; Mandelbrot set: `mandelbrot [width] [height] [iterations]` (defaults 80, 40, 255; width at most
;; 4096) writes a binary PGM image (P5) of the region [-2.5, 1] x [-1.2, 1.2] to stdout, a row at a
;; time. A pixel's grey is 255 for points that escape at once and 0 for points in the set.
(module
  ;; @include lib.wat
  (data (i32.const 256) "P5\n")
  (data (i32.const 260) "\n255\n")

  (func (export "_start")
    (local $width i32) (local $height i32) (local $limit i32) (local $x i32) (local $y i32) (local $iteration i32)
    (local $cr f64) (local $ci f64) (local $zr f64) (local $zi f64) (local $zr2 f64) (local $zi2 f64)
    (local.set $width (call $arg_u32 (i32.const 1) (i32.const 80)))
    (local.set $height (call $arg_u32 (i32.const 2) (i32.const 40)))
    (local.set $limit (call $arg_u32 (i32.const 3) (i32.const 255)))
    (if (i32.eqz (local.get $width)) (then (local.set $width (i32.const 1))))
    (if (i32.gt_u (local.get $width) (i32.const 4096)) (then (local.set $width (i32.const 4096))))
    (if (i32.eqz (local.get $height)) (then (local.set $height (i32.const 1))))
    (if (i32.eqz (local.get $limit)) (then (local.set $limit (i32.const 1))))
    (call $put_text (i32.const 256) (i32.const 3))
    (call $put_u64 (i64.extend_i32_u (local.get $width)))
    (call $put_byte (i32.const 32))
    (call $put_u64 (i64.extend_i32_u (local.get $height)))
    (call $put_text (i32.const 260) (i32.const 5))
    (call $flush)
    (block $image_done
      (loop $rows
        (br_if $image_done (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $ci (f64.sub (f64.mul (f64.convert_i32_u (local.get $y)) (f64.div (f64.const 2.4) (f64.convert_i32_u (local.get $height)))) (f64.const 1.2)))
        (local.set $x (i32.const 0))
        (block $row_done
          (loop $cols
            (br_if $row_done (i32.ge_u (local.get $x) (local.get $width)))
            (local.set $cr (f64.sub (f64.mul (f64.convert_i32_u (local.get $x)) (f64.div (f64.const 3.5) (f64.convert_i32_u (local.get $width)))) (f64.const 2.5)))
            (local.set $zr (f64.const 0))
            (local.set $zi (f64.const 0))
            (local.set $iteration (i32.const 0))
            (block $escaped
              (loop $iterate
                (br_if $escaped (i32.ge_u (local.get $iteration) (local.get $limit)))
                (local.set $zr2 (f64.mul (local.get $zr) (local.get $zr)))
                (local.set $zi2 (f64.mul (local.get $zi) (local.get $zi)))
                (br_if $escaped (f64.gt (f64.add (local.get $zr2) (local.get $zi2)) (f64.const 4)))
                (local.set $zi (f64.add (f64.mul (f64.add (local.get $zr) (local.get $zr)) (local.get $zi)) (local.get $ci)))
                (local.set $zr (f64.add (f64.sub (local.get $zr2) (local.get $zi2)) (local.get $cr)))
                (local.set $iteration (i32.add (local.get $iteration) (i32.const 1)))
                (br $iterate)))
            (i32.store8 (i32.add (i32.const 16384) (local.get $x))
              (i32.sub (i32.const 255) (i32.div_u (i32.mul (local.get $iteration) (i32.const 255)) (local.get $limit))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $cols)))
        (call $write (i32.const 16384) (local.get $width))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))
)
