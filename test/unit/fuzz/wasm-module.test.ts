// Fuzzing the seller's rewriter of untrusted modules (src/shared/delivery/wasm-module.ts:
// prepareJobModule, which checks, caps and instruments a buyer's module before it runs). Any bytes
// either end in a WasmModuleError (ERR_WASM_MODULE) or give a module that validates, keeps every
// export of the input (adding only the FLOP counter, when it says it is instrumented), has its memory
// and tables capped, and was not left uninstrumented because instrumenting broke it. Inputs: valid
// modules (the samples, the hostile fixtures, modules using tables, globals, a start function,
// multi-value blocks, bulk memory, reference types and SIMD) mutated byte by byte, anywhere or only in
// their code; and random bytes after the WebAssembly header.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { compileWat } from '../../../scripts/build-samples'
import { CyclexError } from '../../../src/shared/errors'
import {
  flopCounterExport,
  prepareJobModule,
  readSections,
  summarizeModule,
  WasmModuleError,
  type PreparedModule,
} from '../../../src/shared/delivery/wasm-module'
import { hostileModule } from '../delivery/fixtures/hostile'
import { fuzzOptions, mutatedBytes, Tally } from './fuzz-kit'

const caps = { maxMemoryPages: 16, maxTableEntries: 1_000 }
const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

const wasi = (name: string, params: string): string =>
  `(import "wasi_snapshot_preview1" "${name}" (func $${name} (param ${params}) (result i32)))`
/** Modules that use what a buyer's compiler may emit, each valid. */
const featureSources: Record<string, string> = {
  tablesAndGlobals: `(module ${wasi('fd_write', 'i32 i32 i32 i32')}
    (memory (export "memory") 1 4) (table (export "table") 4 8 funcref) (global $g (mut f64) (f64.const 1.5)) (global (export "limit") i32 (i32.const 7))
    (type $unary (func (param f64) (result f64)))
    (func $half (type $unary) (f64.mul (local.get 0) (f64.const 0.5)))
    (func $root (type $unary) (f64.sqrt (local.get 0)))
    (elem (i32.const 0) $half $root)
    (data (i32.const 16) "hello")
    (func (export "_start") (local $i i32)
      (block $out (loop $next
        (global.set $g (call_indirect (type $unary) (global.get $g) (i32.and (local.get $i) (i32.const 1))))
        (br_table $next $out (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10)))))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))))`,
  startAndMultiValue: `(module (memory (export "memory") 1) (global $seed (mut i32) (i32.const 0))
    (func $init (global.set $seed (i32.const 42))) (start $init)
    (func $pair (result i32 f32) (i32.const 1) (f32.const 2.5))
    (func (export "_start") (local $f f32) (local $n i32)
      (local.set $f (f32.add (f32.div (f32.const 1) (f32.const 3)) (f32.sub (f32.const 2) (f32.const 1))))
      (block (result i32 f32) (call $pair)) (drop) (drop)
      i32.const 0
      loop $l (param i32) (result i32)
        i32.const 1
        i32.add
        local.tee $n
        local.get $n
        i32.const 10
        i32.lt_u
        br_if $l
      end
      drop))`,
  bulkMemoryAndReferences: `(module (memory (export "memory") 1) (table $t 2 funcref) (data $d "abcdefgh")
    (func $f) (elem declare func $f)
    (func (export "_start")
      (memory.init $d (i32.const 0) (i32.const 0) (i32.const 8)) (data.drop $d)
      (memory.copy (i32.const 8) (i32.const 0) (i32.const 8)) (memory.fill (i32.const 16) (i32.const 0) (i32.const 8))
      (table.set $t (i32.const 0) (ref.func $f)) (drop (table.grow $t (ref.null func) (i32.const 1)))
      (drop (select (result f64) (f64.const 1) (f64.const 2) (i32.const 0)))
      (drop (i32.trunc_sat_f64_s (f64.const 1e100)))))`,
  simd: `(module (memory (export "memory") 1) (func (export "_start") (drop (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.splat (f32.const 2))))))`,
  noMemoryMaximum: `(module (memory (export "memory") 2) (func (export "_start") (drop (memory.grow (i32.const 100)))))`,
  tooMuchMemory: `(module (memory (export "memory") 17) (func (export "_start")))`,
}

let seeds: Uint8Array[] = []

beforeAll(async () => {
  const samples = join(import.meta.dirname, '../../../resources/samples')
  const sampleModules = await Promise.all(
    ['pi', 'matmul', 'mandelbrot'].map(async (name) => new Uint8Array(await readFile(join(samples, `${name}.wasm`)))),
  )
  const hostile = await Promise.all(
    (['endlessLoop', 'memoryBomb', 'trap', 'reachesOut', 'foreignImport'] as const).map((name) => hostileModule(name)),
  )
  const features = await Promise.all(
    Object.entries(featureSources).map(([name, source]) => compileWat(name, source, '.')),
  )
  seeds = [...sampleModules, ...hostile, ...features]
  for (const seed of seeds) expect(WebAssembly.validate(seed as Uint8Array<ArrayBuffer>)).toBe(true)
})

/** A seed with one to eight bytes of its code section overwritten: most still parse, many still validate. */
function codeMutants(): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      seed: fc.nat(),
      edits: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
    })
    .map(({ seed, edits }) => {
      const bytes = seeds[seed % seeds.length]!.slice()
      let codeStart = 8
      let codeLength = bytes.length - 8
      let offset = 8
      for (const section of readSections(bytes)) {
        const headerLength = 1 + Math.max(1, Math.ceil(Math.log2(section.content.length + 1) / 7))
        if (section.id === 10) {
          codeStart = offset + headerLength
          codeLength = section.content.length
        }
        offset += headerLength + section.content.length
      }
      for (const edit of edits) bytes[codeStart + (edit.at % Math.max(1, codeLength))] = edit.byte
      return bytes
    })
}

function exportsOf(bytes: Uint8Array): WebAssembly.ModuleExportDescriptor[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>))
}

/** What must hold of any answer: a named refusal, or a module that validates, keeps its exports and is capped. */
function check(bytes: Uint8Array, outcome: PreparedModule | CyclexError, validInputs: { count: number }): void {
  const inputValid = WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)
  if (inputValid) validInputs.count++
  if (outcome instanceof CyclexError) {
    expect(outcome).toBeInstanceOf(WasmModuleError)
    expect(outcome.code).toBe('ERR_WASM_MODULE')
    // A valid module is refused only for what a job may not have, never because the rewriter failed on it.
    if (inputValid)
      expect(outcome.message).toMatch(/imports|more than one memory|starts at \d+|already exports|shared|64-bit/)
    return
  }
  expect(inputValid).toBe(true)
  expect(WebAssembly.validate(outcome.bytes as Uint8Array<ArrayBuffer>)).toBe(true)
  const after = exportsOf(outcome.bytes)
  expect(after.filter((entry) => entry.name !== flopCounterExport)).toEqual(exportsOf(bytes))
  expect(after.some((entry) => entry.name === flopCounterExport && entry.kind === 'global')).toBe(outcome.instrumented)
  expect(outcome.notInstrumentedReason ?? '').not.toMatch(/fault of the seller/)
  for (const memory of summarizeModule(outcome.bytes).memories)
    expect(memory.max).toBeLessThanOrEqual(caps.maxMemoryPages)
}

describe('fuzzing the module rewriter (prepareJobModule)', () => {
  it('prepares every seed: it validates, keeps its exports, and the samples are instrumented', () => {
    const validInputs = { count: 0 }
    for (const seed of seeds) {
      for (const instrument of [true, false]) {
        let outcome: PreparedModule | CyclexError
        try {
          outcome = prepareJobModule(seed, { instrument, ...caps })
        } catch (error) {
          outcome = error as CyclexError
        }
        check(seed, outcome, validInputs)
      }
    }
    for (const sample of seeds.slice(0, 3))
      expect(prepareJobModule(sample, { instrument: true, ...caps }).instrumented).toBe(true)
  })

  for (const [name, inputs] of [
    ['seeds mutated anywhere', () => mutatedBytes(seeds)],
    ['seeds mutated in their code', codeMutants],
    // The mutants the engine accepts: what reaches the rewriter itself.
    [
      'valid mutants of the seeds',
      () =>
        fc
          .oneof(codeMutants(), mutatedBytes(seeds))
          .filter((bytes) => WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)),
    ],
    [
      'random bytes after the header',
      () => fc.uint8Array({ maxLength: 512 }).map((rest) => Uint8Array.from([...header, ...rest])),
    ],
    ['random bytes', () => fc.uint8Array({ maxLength: 256 })],
  ] as const) {
    it(`${name}: a WasmModuleError, or a module that validates, keeps its exports and is capped`, () => {
      const tally = new Tally(`prepareJobModule, ${name}`)
      const validInputs = { count: 0 }
      fc.assert(
        fc.property(inputs(), fc.boolean(), (bytes, instrument) => {
          check(
            bytes,
            tally.run(() => prepareJobModule(bytes, { instrument, ...caps })),
            validInputs,
          )
        }),
        fuzzOptions(),
      )
      tally.done()
      if (process.env.CYCLEX_FUZZ_REPORT === '1')
        console.log(`[fuzz] prepareJobModule, ${name}: ${validInputs.count} inputs were valid WebAssembly`)
    })
  }

  it('summarizeModule, which reads a module before validation: a WasmModuleError or a summary, for any bytes', () => {
    const tally = new Tally('summarizeModule')
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedBytes(seeds),
          codeMutants(),
          fc.uint8Array({ maxLength: 512 }).map((rest) => Uint8Array.from([...header, ...rest])),
        ),
        (bytes) => {
          const outcome = tally.run(() => summarizeModule(bytes))
          if (outcome instanceof CyclexError) expect(outcome).toBeInstanceOf(WasmModuleError)
        },
      ),
      fuzzOptions(),
    )
    tally.done()
  })
})
