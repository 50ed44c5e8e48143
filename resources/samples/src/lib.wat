  ;; Shared by the samples (scripts/build-samples.ts puts it where a sample says `;; @include lib.wat`):
  ;; WASI imports, reading a decimal argument, and writing text to stdout.
  ;; Memory: 0..31 scratch, 256..1023 the sample's strings, 1024..1279 argv pointers, 2048..10239
  ;; argv text, 12288..16383 the text being written, 16384.. the sample's own data.
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $cursor (mut i32) (i32.const 12288))

  ;; argv[index] as a whole number of at most 9 digits; `default` when absent or not digits.
  (func $arg_u32 (param $index i32) (param $default i32) (result i32)
    (local $argc i32) (local $p i32) (local $value i32) (local $c i32) (local $digits i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (local.set $argc (i32.load (i32.const 0)))
    (if (i32.le_u (local.get $argc) (local.get $index)) (then (return (local.get $default))))
    (if (i32.gt_u (local.get $argc) (i32.const 64)) (then (return (local.get $default))))
    (if (i32.gt_u (i32.load (i32.const 4)) (i32.const 8192)) (then (return (local.get $default))))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $index) (i32.const 2)))))
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eqz (local.get $c)))
        (if (i32.or (i32.lt_u (local.get $c) (i32.const 48)) (i32.gt_u (local.get $c) (i32.const 57)))
          (then (return (local.get $default))))
        (local.set $value (i32.add (i32.mul (local.get $value) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $digits) (i32.const 9)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (if (result i32) (local.get $digits) (then (local.get $value)) (else (local.get $default))))

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))

  (func $put_byte (param $byte i32)
    (i32.store8 (global.get $cursor) (local.get $byte))
    (global.set $cursor (i32.add (global.get $cursor) (i32.const 1))))

  (func $put_text (param $ptr i32) (param $len i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (call $put_byte (i32.load8_u (local.get $ptr)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next))))

  ;; An unsigned 64-bit number in decimal: the digits backwards, then reversed in place.
  (func $put_u64 (param $value i64)
    (local $start i32) (local $end i32) (local $byte i32)
    (local.set $start (global.get $cursor))
    (loop $digit
      (call $put_byte (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (local.set $end (i32.sub (global.get $cursor) (i32.const 1)))
    (block $done
      (loop $swap
        (br_if $done (i32.ge_u (local.get $start) (local.get $end)))
        (local.set $byte (i32.load8_u (local.get $start)))
        (i32.store8 (local.get $start) (i32.load8_u (local.get $end)))
        (i32.store8 (local.get $end) (local.get $byte))
        (local.set $start (i32.add (local.get $start) (i32.const 1)))
        (local.set $end (i32.sub (local.get $end) (i32.const 1)))
        (br $swap))))

  (func $put_i64 (param $value i64)
    (if (i64.lt_s (local.get $value) (i64.const 0))
      (then
        (call $put_byte (i32.const 45))
        (local.set $value (i64.sub (i64.const 0) (local.get $value)))))
    (call $put_u64 (local.get $value)))

  (func $flush
    (call $write (i32.const 12288) (i32.sub (global.get $cursor) (i32.const 12288)))
    (global.set $cursor (i32.const 12288)))
