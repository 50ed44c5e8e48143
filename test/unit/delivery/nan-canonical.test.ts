// Canonical NaNs (src/shared/delivery/nan-canonical.ts): an instrumented module's float operations
// give the same NaN bits on every machine, 0x7ff8000000000000 and 0x7fc00000, where the engine's own
// differ between CPUs (x86-64 gives 0/0 a negative NaN); other values are untouched, and the count of
// float operations is the same.
import { describe, expect, it } from 'vitest'
import { compileWat } from '../../../scripts/build-samples'
import { flopCounterExport, prepareJobModule } from '../../../src/shared/delivery/wasm-module'

const wat = `(module
  (func (export "divide64") (param f64 f64) (result i64) (i64.reinterpret_f64 (f64.div (local.get 0) (local.get 1))))
  (func (export "root32") (param f32) (result i32) (local f64) (i32.reinterpret_f32 (f32.sqrt (local.get 0))))
  (func (export "min64") (param f64 f64) (result i64) (i64.reinterpret_f64 (f64.min (local.get 0) (local.get 1))))
  (func (export "negate64") (param i64) (result i64) (i64.reinterpret_f64 (f64.neg (f64.reinterpret_i64 (local.get 0))))))`

interface Exports {
  divide64(a: number, b: number): bigint
  root32(a: number): number
  min64(a: number, b: number): bigint
  negate64(bits: bigint): bigint
}

async function instantiate(bytes: Uint8Array): Promise<Exports> {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, {})
  return instance.exports as unknown as Exports
}

const unsigned = (bits: bigint): bigint => BigInt.asUintN(64, bits)

describe('canonical NaNs in instrumented modules', () => {
  it('gives every NaN a float operation makes the canonical bits, and leaves other values and bit moves alone', async () => {
    const original = await compileWat('nan', wat, '.')
    const prepared = prepareJobModule(original, { instrument: true, maxMemoryPages: 16, maxTableEntries: 100 })
    expect(prepared.instrumented).toBe(true)
    const module = await instantiate(prepared.bytes)
    expect(unsigned(module.divide64(0, 0))).toBe(0x7ff8000000000000n)
    expect(unsigned(module.min64(Number.NaN, 1))).toBe(0x7ff8000000000000n)
    expect(module.root32(-1) >>> 0).toBe(0x7fc00000)
    expect(unsigned(module.divide64(1, 2))).toBe(0x3fe0000000000000n)
    expect(unsigned(module.divide64(1, 0))).toBe(0x7ff0000000000000n)
    // neg only flips the sign bit, as the spec says: a NaN's payload passes through it unchanged.
    expect(unsigned(module.negate64(0x7ff8000000000001n))).toBe(0xfff8000000000001n)
    // What the engine gives without canonicalization, on this CPU: on x86-64 a negative NaN, which is why it is needed.
    const raw = await instantiate(original)
    if (process.arch === 'x64') expect(unsigned(raw.divide64(0, 0))).toBe(0xfff8000000000000n)
  })

  it('counts the same float operations as before (the comparisons it adds are not counted)', async () => {
    const counted = await compileWat(
      'count',
      `(module (global $sink (mut f64) (f64.const 0)) (func (export "_start") (global.set $sink (f64.sqrt (f64.add (f64.const 1) (f64.mul (f64.const 2) (f64.const 3)))))))`,
      '.',
    )
    const prepared = prepareJobModule(counted, { instrument: true, maxMemoryPages: 16, maxTableEntries: 100 })
    const { instance } = await WebAssembly.instantiate(prepared.bytes as Uint8Array<ArrayBuffer>, {})
    ;(instance.exports._start as () => void)()
    expect((instance.exports[flopCounterExport] as WebAssembly.Global).value).toBe(3n)
  })
})
