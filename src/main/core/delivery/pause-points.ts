// Pause points: what lets the seller's policy pause a job that computes without ever calling WASI.
// A worker thread cannot be suspended from outside, so the job is made to ask, now and then, whether
// it should wait. At the start of every function that calls and at the head of every loop (every path
// that can run long passes one or the other) the module decrements a countdown global; when it reaches 0 it
// calls, through a one-entry table of its own, a host function that waits while the seller says
// "paused" (job-worker.ts: Atomics.wait, no CPU) and returns the next countdown. So a pause takes
// effect within one countdown (100,000 loop iterations or calls: well under a millisecond of compute).
// A function that makes no call cannot recurse, so only functions that call get the check at entry.
//
// A new table rather than a new import: an import would shift every function index in the module;
// types, tables and globals are appended, so nothing in the buyer's code is renumbered. The original
// bytes are copied as they are and only the check is spliced in (the same method as the FLOP counter,
// src/shared/delivery/wasm-module.ts). A module this cannot rewrite (SIMD, exceptions, GC, a start
// function that would run before the table is filled) is refused pause points with the reason; the
// seller then stops it where its policy says pause.
import {
  appendEntry,
  concat,
  insertInOrder,
  NotInstrumentableError,
  readSections,
  Reader,
  skipImmediates,
  skipValueOrReferenceType,
  u32Bytes,
  writeModule,
  type Section,
} from '../../../shared/delivery/wasm-module'

/** The export name of the table whose one entry the worker fills with its pause check. */
export const pauseTableExport = 'cyclex_pause'
/** Loop iterations and calls between two pause checks. */
export const pauseCheckEvery = 100_000

/** Signed LEB128 of a non-negative i32 (for i32.const). */
function s32Bytes(value: number): number[] {
  const out: number[] = []
  let rest = value
  for (;;) {
    const low = rest & 0x7f
    rest = Math.floor(rest / 128)
    if (rest === 0 && (low & 0x40) === 0) {
      out.push(low)
      return out
    }
    out.push(low | 0x80)
  }
}

function entryCount(section: Section | undefined): number {
  return section ? new Reader(section.content).u32() : 0
}

/** The type section's entries must be plain function types, so that the entry count is the next type index. */
function checkPlainTypes(section: Section | undefined): void {
  if (!section) return
  const reader = new Reader(section.content)
  const count = reader.u32()
  for (let index = 0; index < count; index++) {
    if (reader.byte() !== 0x60) throw new NotInstrumentableError('the module declares recursive or sub types (GC), which pause points do not handle')
    for (let list = 0; list < 2; list++) {
      const length = reader.u32()
      for (let each = 0; each < length; each++) skipValueOrReferenceType(reader)
    }
  }
}

/** Only function imports: no imported table or global shifts the indices of the ones added. */
function checkFunctionImportsOnly(section: Section | undefined): void {
  if (!section) return
  const reader = new Reader(section.content)
  const count = reader.u32()
  for (let index = 0; index < count; index++) {
    reader.name()
    reader.name()
    if (reader.byte() !== 0) throw new NotInstrumentableError('the module imports something other than functions')
    reader.u32()
  }
}

function exportNames(section: Section | undefined): string[] {
  if (!section) return []
  const reader = new Reader(section.content)
  const count = reader.u32()
  const names: string[] = []
  for (let index = 0; index < count; index++) {
    names.push(reader.name())
    reader.byte()
    reader.u32()
  }
  return names
}

function pauseCheck(globalIndex: number, typeIndex: number, tableIndex: number): number[] {
  const countdown = u32Bytes(globalIndex)
  return [
    // countdown -= 1
    0x23, ...countdown, 0x41, 0x01, 0x6b, 0x24, ...countdown,
    // if countdown == 0: countdown = table[0]() (the host's check, which may wait)
    0x23, ...countdown, 0x45, 0x04, 0x40,
    0x41, 0x00, 0x11, ...u32Bytes(typeIndex), ...u32Bytes(tableIndex), 0x24, ...countdown,
    0x0b,
  ]
}

function addChecksToBody(body: Uint8Array, check: number[]): Uint8Array {
  const reader = new Reader(body)
  const localGroups = reader.u32()
  for (let index = 0; index < localGroups; index++) {
    reader.u32()
    skipValueOrReferenceType(reader)
  }
  const codeStart = reader.offset
  /** Where each loop's body starts: after the loop opcode and its block type. */
  const loopStarts: number[] = []
  let calls = false
  while (!reader.done) {
    const opcode = reader.byte()
    skipImmediates(reader, opcode)
    if (opcode === 0x03) loopStarts.push(reader.offset)
    if (opcode >= 0x10 && opcode <= 0x13) calls = true
  }
  // A function that calls nothing cannot recurse: its loops are checked, its entry need not be (this
  // keeps the check out of small hot helpers).
  const parts: (Uint8Array | number[])[] = [body.subarray(0, codeStart)]
  if (calls) parts.push(check)
  let copiedFrom = codeStart
  for (const at of loopStarts) {
    // Inside the loop, after its block type: stack-neutral, so a loop's parameters stay where they are.
    parts.push(body.subarray(copiedFrom, at), check)
    copiedFrom = at
  }
  parts.push(body.subarray(copiedFrom))
  return concat(parts)
}

/**
 * The module with pause checks; throws NotInstrumentableError (with why) when it cannot have them.
 * Expects a module prepareJobModule has checked (only WASI function imports).
 */
export function addPausePoints(bytes: Uint8Array): Uint8Array {
  let sections = readSections(bytes)
  const find = (id: number): Section | undefined => sections.find((section) => section.id === id)
  if (find(8)) throw new NotInstrumentableError('the module has a start function, which would run before its pause check exists')
  const code = find(10)
  if (!code) throw new NotInstrumentableError('the module has no code')
  if (exportNames(find(7)).includes(pauseTableExport)) throw new NotInstrumentableError(`the module already exports '${pauseTableExport}'`)
  checkPlainTypes(find(1))
  checkFunctionImportsOnly(find(2))

  const typeIndex = entryCount(find(1))
  const tableIndex = entryCount(find(4))
  const globalIndex = entryCount(find(6))
  const check = pauseCheck(globalIndex, typeIndex, tableIndex)
  const reader = new Reader(code.content)
  const count = reader.u32()
  const bodies: (Uint8Array | number[])[] = [u32Bytes(count)]
  for (let index = 0; index < count; index++) {
    const body = addChecksToBody(reader.take(reader.u32()), check)
    bodies.push(u32Bytes(body.length), body)
  }
  const added: [number, number[]][] = [
    // () -> i32
    [1, [0x60, 0x00, 0x01, 0x7f]],
    // funcref, exactly one entry
    [4, [0x70, 0x01, 0x01, 0x01]],
    // a mutable i32 countdown
    [6, [0x7f, 0x01, 0x41, ...s32Bytes(pauseCheckEvery), 0x0b]],
    [7, [...u32Bytes(pauseTableExport.length), ...new TextEncoder().encode(pauseTableExport), 0x01, ...u32Bytes(tableIndex)]],
  ]
  sections = sections.map((section) => (section.id === 10 ? { id: 10, content: concat(bodies) } : section))
  for (const [id, entry] of added) {
    const existing = find(id)
    sections = existing ? sections.map((section) => (section === existing ? appendEntry(section, id, entry) : section)) : insertInOrder(sections, appendEntry(undefined, id, entry))
  }
  return writeModule(sections)
}

/**
 * A wasm function (a table takes no plain JS function) that calls `check`: a module of one import,
 * exported again. `check` returns the next countdown.
 */
export function pauseCheckFunction(check: () => number): WebAssembly.ExportValue {
  // (module (type (func (result i32))) (import "h" "f" (func (type 0))) (export "f" (func 0)))
  const bytes = Uint8Array.of(
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x02, 0x07, 0x01, 0x01, 0x68, 0x01, 0x66, 0x00, 0x00,
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
  )
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { h: { f: check } })
  return instance.exports.f!
}
