// What the seller does to a buyer's WebAssembly module before it runs it: read its sections, refuse
// what a job may not have (imports beyond WASI preview 1, an imported or shared or 64-bit memory),
// cap its memory and tables by rewriting their declared maximum, and, where it can, inject a counter
// into its float arithmetic so the seller can state the exact FLOPs it executed.
//
// The transformer is written here rather than taken from npm: binaryen would do it but is a 10 MB
// build that the node would have to bundle, and @webassemblyjs re-encodes the whole module. Here the
// original bytes are copied as they are and only counter updates are spliced in, so an instruction
// this file does not know stops instrumentation (the job is then metered by CPU time alone) instead
// of being mis-encoded. Bytes that are not valid WebAssembly are refused before any of this
// (WebAssembly.validate), and what comes out is validated again: a fuzz property
// (test/unit/fuzz/wasm-module.test.ts) holds that any bytes give a WasmModuleError or a module that
// validates and keeps its exports.
import { canonicalizeNan, nanMakingOps } from './nan-canonical'
import { CyclexError, registerErrorClass } from '../errors'
//
// The counter: a new mutable i64 global, exported as `cyclex_flops`. Float operations are counted per
// straight-line run of instructions, and the run's count is added just before the next control
// instruction (block, loop, if, else, end, br*, return, call*, unreachable), which every run reaches
// unless it traps. So a run that finishes has its every float operation counted exactly once; a run
// that traps loses the count of its last straight line.

/** The one import namespace a job may use. */
export const wasiNamespace = 'wasi_snapshot_preview1'
/** The export name of the injected counter. */
export const flopCounterExport = 'cyclex_flops'
export const wasmPageBytes = 65_536

/** The module is not valid WebAssembly, or has something a job may not have. The message says what. */
export class WasmModuleError extends CyclexError {
  static override readonly code: string = 'ERR_WASM_MODULE'
}

/**
 * Instrumentation is not possible for this module (an instruction the counter does not handle). Never
 * reaches the buyer: the module then runs uninstrumented, with this as the reason.
 */
export class NotInstrumentableError extends CyclexError {
  static override readonly code: string = 'ERR_NOT_INSTRUMENTABLE'
}
registerErrorClass(WasmModuleError)
registerErrorClass(NotInstrumentableError)

export interface Section {
  id: number
  /** The section's content, without its id and size. */
  content: Uint8Array
}

export class Reader {
  offset = 0
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw new WasmModuleError('the module ends in the middle of an item')
    return this.bytes[this.offset++]!
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.byte()
      result += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) {
        if (result > 0xffff_ffff) throw new WasmModuleError('a u32 is out of range')
        return result
      }
    }
    throw new WasmModuleError('a u32 is longer than 5 bytes')
  }

  /** Skip a signed LEB128 of at most `bits` bits. */
  skipSigned(bits: number): void {
    for (let count = 0; count < Math.ceil(bits / 7); count++) if (this.byte() < 0x80) return
    throw new WasmModuleError(`a signed ${bits}-bit integer is too long`)
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new WasmModuleError('the module ends in the middle of an item')
    const out = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  name(): string {
    const length = this.u32()
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.take(length))
    } catch (error) {
      if (error instanceof WasmModuleError) throw error
      throw new WasmModuleError('a name is not valid UTF-8')
    }
  }
}

export function u32Bytes(value: number): number[] {
  const out: number[] = []
  let rest = value
  do {
    const low = rest & 0x7f
    rest = Math.floor(rest / 128)
    out.push(rest > 0 ? low | 0x80 : low)
  } while (rest > 0)
  return out
}

/** Signed LEB128 of a non-negative safe integer (for i64.const). */
function s64Bytes(value: number): number[] {
  const out: number[] = []
  let rest = BigInt(value)
  for (;;) {
    const low = Number(rest & 0x7fn)
    rest >>= 7n
    const signBitClear = (low & 0x40) === 0
    if ((rest === 0n && signBitClear) || (rest === -1n && !signBitClear)) {
      out.push(low)
      return out
    }
    out.push(low | 0x80)
  }
}

export function concat(parts: readonly (Uint8Array | number[])[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0)
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || magic.some((byte, index) => bytes[index] !== byte)) {
    throw new WasmModuleError('not a WebAssembly module: it does not start with \\0asm version 1')
  }
  const reader = new Reader(bytes)
  reader.offset = 8
  const sections: Section[] = []
  while (!reader.done) {
    const id = reader.byte()
    const size = reader.u32()
    sections.push({ id, content: reader.take(size) })
  }
  return sections
}

export function writeModule(sections: readonly Section[]): Uint8Array {
  return concat([
    magic,
    ...sections.flatMap((section) => [[section.id, ...u32Bytes(section.content.length)], section.content]),
  ])
}

export interface WasmImport {
  module: string
  name: string
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
}

export interface WasmLimits {
  min: number
  max: number | undefined
}

export interface ModuleSummary {
  imports: WasmImport[]
  exports: { name: string; kind: number }[]
  /** The module's own memories' limits, in 64 KiB pages. */
  memories: WasmLimits[]
}

const importKinds = ['function', 'table', 'memory', 'global', 'tag'] as const

function readLimits(reader: Reader, what: string): WasmLimits & { flags: number } {
  const flags = reader.byte()
  if (flags > 1) {
    const kind = flags & 0x04 ? '64-bit' : flags & 0x02 ? 'shared' : `flags ${flags}`
    throw new WasmModuleError(`a ${kind} ${what} is not allowed in a job (only a plain 32-bit ${what})`)
  }
  const min = reader.u32()
  return { flags, min, max: flags === 1 ? reader.u32() : undefined }
}

export function skipValueOrReferenceType(reader: Reader): void {
  const type = reader.byte()
  // ref null ht / ref ht (function references): a heap type follows
  if (type === 0x63 || type === 0x64) reader.skipSigned(33)
}

/** Imports, exports and memories: enough to decide whether a module may run as a job. */
export function summarizeModule(bytes: Uint8Array): ModuleSummary {
  const summary: ModuleSummary = { imports: [], exports: [], memories: [] }
  for (const section of readSections(bytes)) {
    const reader = new Reader(section.content)
    if (section.id === 2) {
      const count = reader.u32()
      for (let index = 0; index < count; index++) {
        const module = reader.name()
        const name = reader.name()
        const kindByte = reader.byte()
        const kind = importKinds[kindByte]
        if (kind === undefined) throw new WasmModuleError(`import ${module}.${name} has an unknown kind ${kindByte}`)
        summary.imports.push({ module, name, kind })
        if (kind === 'function') reader.u32()
        else if (kind === 'table') {
          skipValueOrReferenceType(reader)
          readLimits(reader, 'table')
        } else if (kind === 'memory') readLimits(reader, 'memory')
        else if (kind === 'global') {
          skipValueOrReferenceType(reader)
          reader.byte()
        } else {
          reader.byte()
          reader.u32()
        }
      }
    } else if (section.id === 5) {
      const count = reader.u32()
      for (let index = 0; index < count; index++) summary.memories.push(readLimits(reader, 'memory'))
    } else if (section.id === 7) {
      const count = reader.u32()
      for (let index = 0; index < count; index++) {
        const name = reader.name()
        const kind = reader.byte()
        reader.u32()
        summary.exports.push({ name, kind })
      }
    }
  }
  return summary
}

/**
 * Refuse a module a job may not run: imports from anything but WASI preview 1 (`env`, another
 * runtime's host functions), an imported memory or table, more than one memory, or no `_start`.
 */
export function checkJobModule(bytes: Uint8Array): ModuleSummary {
  const summary = summarizeModule(bytes)
  for (const entry of summary.imports) {
    if (entry.module !== wasiNamespace) {
      throw new WasmModuleError(
        `the module imports ${entry.module}.${entry.name}; a job may import only from ${wasiNamespace}`,
      )
    }
    if (entry.kind !== 'function') {
      throw new WasmModuleError(
        `the module imports a ${entry.kind} (${entry.module}.${entry.name}); a job may import only WASI functions`,
      )
    }
  }
  if (summary.memories.length > 1)
    throw new WasmModuleError('the module declares more than one memory; a job may have one')
  return summary
}

export interface CapOptions {
  /** The most 64 KiB pages the module's memory may ever have. */
  maxMemoryPages: number
  /** The most entries any table may have. */
  maxTableEntries: number
}

/** Lower the maximum of the module's memory and tables to the caps (or set one where none is declared). */
function capLimits(section: Section, caps: CapOptions): Section {
  const reader = new Reader(section.content)
  const count = reader.u32()
  const out: number[] = u32Bytes(count)
  for (let index = 0; index < count; index++) {
    if (section.id === 4) {
      const typeStart = reader.offset
      skipValueOrReferenceType(reader)
      out.push(...section.content.subarray(typeStart, reader.offset))
    }
    const what = section.id === 4 ? 'table' : 'memory'
    const cap = section.id === 4 ? caps.maxTableEntries : caps.maxMemoryPages
    const limits = readLimits(reader, what)
    if (limits.min > cap) {
      const unit =
        section.id === 4 ? 'entries' : `pages of 64 KiB (${Math.round((limits.min * wasmPageBytes) / 2 ** 20)} MiB)`
      throw new WasmModuleError(
        `the module's ${what} starts at ${limits.min} ${unit}, more than the ${cap} this job may use`,
      )
    }
    const max = Math.min(limits.max ?? cap, cap)
    out.push(0x01, ...u32Bytes(limits.min), ...u32Bytes(max))
  }
  if (!reader.done)
    throw new WasmModuleError(`the ${section.id === 4 ? 'table' : 'memory'} section has bytes after its entries`)
  return { id: section.id, content: Uint8Array.from(out) }
}

/** Opcodes of counted float operations: f32/f64 add, sub, mul, div and sqrt. */
const countedFloatOps = new Set([0x91, 0x92, 0x93, 0x94, 0x95, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3])
/** Instructions that end a straight line of code: the run's count is added before them. */
const controlOps = new Set([0x00, 0x02, 0x03, 0x04, 0x05, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13])

function skipBlockType(reader: Reader): void {
  const first = reader.bytes[reader.offset]
  if (first === undefined) throw new WasmModuleError('a block type is missing')
  if (first === 0x40 || (first >= 0x6f && first <= 0x7f)) reader.offset++
  else reader.skipSigned(33)
}

function skipMemoryArgument(reader: Reader): void {
  const align = reader.u32()
  if (align & 0x40) reader.u32() // multi-memory: a memory index follows
  reader.u32()
}

/** Skip the immediates of the instruction whose opcode was just read. */
export function skipImmediates(reader: Reader, opcode: number): void {
  if (opcode >= 0x45 && opcode <= 0xc4) return // numeric, comparisons, conversions, sign extension
  if (opcode >= 0x28 && opcode <= 0x3e) return skipMemoryArgument(reader)
  switch (opcode) {
    case 0x00:
    case 0x01:
    case 0x05:
    case 0x0b:
    case 0x0f:
    case 0x1a:
    case 0x1b:
    case 0xd1:
      return
    case 0x02:
    case 0x03:
    case 0x04:
      return skipBlockType(reader)
    case 0x0c:
    case 0x0d:
    case 0x10:
    case 0x12:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0xd2:
      reader.u32()
      return
    case 0x0e: {
      const targets = reader.u32()
      for (let index = 0; index <= targets; index++) reader.u32()
      return
    }
    case 0x11:
    case 0x13:
      reader.u32()
      reader.u32()
      return
    case 0x1c: {
      const types = reader.u32()
      for (let index = 0; index < types; index++) skipValueOrReferenceType(reader)
      return
    }
    case 0x3f:
    case 0x40:
      reader.u32()
      return
    case 0x41:
      return reader.skipSigned(32)
    case 0x42:
      return reader.skipSigned(64)
    case 0x43:
      reader.take(4)
      return
    case 0x44:
      reader.take(8)
      return
    case 0xd0:
      return skipValueOrReferenceType(reader)
    case 0xfc:
      return skipMiscImmediates(reader)
    default:
      throw new NotInstrumentableError(
        `opcode 0x${opcode.toString(16)} (SIMD, exceptions, GC or unknown) is not instrumented`,
      )
  }
}

function skipMiscImmediates(reader: Reader): void {
  const sub = reader.u32()
  if (sub <= 7) return // saturating truncations
  switch (sub) {
    case 8: // memory.init data memory
    case 12: // table.init elem table
    case 14: // table.copy
      reader.u32()
      reader.u32()
      return
    case 10: // memory.copy
      reader.u32()
      reader.u32()
      return
    case 9:
    case 11:
    case 13:
    case 15:
    case 16:
    case 17:
      reader.u32()
      return
    default:
      throw new NotInstrumentableError(`opcode 0xfc ${sub} is not instrumented`)
  }
}

function counterUpdate(globalIndex: number, count: number): number[] {
  // global.get c; i64.const n; i64.add; global.set c: stack-neutral, so it fits before any instruction.
  return [0x23, ...u32Bytes(globalIndex), 0x42, ...s64Bytes(count), 0x7c, 0x24, ...u32Bytes(globalIndex)]
}

/**
 * The function body counting its float operations and with canonical NaNs (nan-canonical.ts): two
 * locals are added after the function's own, an f32 and an f64, to hold a value being canonicalized.
 */
function instrumentBody(body: Uint8Array, globalIndex: number, parameters: number): Uint8Array {
  const reader = new Reader(body)
  const localGroups = reader.u32()
  const groupsStart = reader.offset
  let locals = parameters
  for (let index = 0; index < localGroups; index++) {
    locals += reader.u32()
    skipValueOrReferenceType(reader)
  }
  const temps = { f32: u32Bytes(locals), f64: u32Bytes(locals + 1) }
  const parts: (Uint8Array | number[])[] = [
    u32Bytes(localGroups + 2),
    body.subarray(groupsStart, reader.offset),
    [0x01, 0x7d, 0x01, 0x7c],
  ]
  let copiedFrom = reader.offset
  let pending = 0
  while (!reader.done) {
    const start = reader.offset
    const opcode = reader.byte()
    if (controlOps.has(opcode) && pending > 0) {
      parts.push(body.subarray(copiedFrom, start), counterUpdate(globalIndex, pending))
      copiedFrom = start
      pending = 0
    }
    if (countedFloatOps.has(opcode)) pending++
    skipImmediates(reader, opcode)
    const nanType = nanMakingOps.get(opcode)
    if (nanType !== undefined) {
      parts.push(body.subarray(copiedFrom, reader.offset), canonicalizeNan(nanType, temps[nanType]))
      copiedFrom = reader.offset
    }
  }
  parts.push(body.subarray(copiedFrom))
  return concat(parts)
}

function countImportedGlobals(sections: readonly Section[]): number {
  const imports = sections.find((section) => section.id === 2)
  if (!imports) return 0
  const reader = new Reader(imports.content)
  const count = reader.u32()
  let globals = 0
  for (let index = 0; index < count; index++) {
    reader.name()
    reader.name()
    const kind = reader.byte()
    if (kind === 0) reader.u32()
    else if (kind === 1) {
      skipValueOrReferenceType(reader)
      readLimits(reader, 'table')
    } else if (kind === 2) readLimits(reader, 'memory')
    else if (kind === 3) {
      skipValueOrReferenceType(reader)
      reader.byte()
      globals++
    } else {
      reader.byte()
      reader.u32()
    }
  }
  return globals
}

/** Section ids in the order the binary format requires (tags, 13, sit between memory and global). */
const sectionOrder = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11]

export function insertInOrder(sections: Section[], added: Section): Section[] {
  const rank = sectionOrder.indexOf(added.id)
  const at = sections.findIndex((section) => section.id !== 0 && sectionOrder.indexOf(section.id) > rank)
  return at === -1 ? [...sections, added] : [...sections.slice(0, at), added, ...sections.slice(at)]
}

export function appendEntry(section: Section | undefined, id: number, entry: number[]): Section {
  if (!section) return { id, content: Uint8Array.from([1, ...entry]) }
  const reader = new Reader(section.content)
  const count = reader.u32()
  return { id, content: concat([u32Bytes(count + 1), section.content.subarray(reader.offset), entry]) }
}

/**
 * The parameter count of each function the module defines, in code section order: the temporaries
 * instrumentBody adds are the function's first locals after its parameters and its own locals.
 */
function parameterCounts(sections: readonly Section[]): number[] {
  const paramsOfType: number[] = []
  const types = sections.find((section) => section.id === 1)
  if (types) {
    const reader = new Reader(types.content)
    const count = reader.u32()
    for (let index = 0; index < count; index++) {
      if (reader.byte() !== 0x60)
        throw new NotInstrumentableError(
          'the module has types other than function types (GC), which are not instrumented',
        )
      const params = reader.u32()
      for (let param = 0; param < params; param++) skipValueOrReferenceType(reader)
      const results = reader.u32()
      for (let result = 0; result < results; result++) skipValueOrReferenceType(reader)
      paramsOfType.push(params)
    }
  }
  const functions = sections.find((section) => section.id === 3)
  const counts: number[] = []
  if (functions) {
    const reader = new Reader(functions.content)
    const count = reader.u32()
    for (let index = 0; index < count; index++) counts.push(paramsOfType[reader.u32()] ?? 0)
  }
  return counts
}

function rewriteCode(section: Section, globalIndex: number, parameters: readonly number[]): Section {
  const reader = new Reader(section.content)
  const count = reader.u32()
  const parts: (Uint8Array | number[])[] = [u32Bytes(count)]
  for (let index = 0; index < count; index++) {
    const size = reader.u32()
    const body = instrumentBody(reader.take(size), globalIndex, parameters[index] ?? 0)
    parts.push(u32Bytes(body.length), body)
  }
  return { id: 10, content: concat(parts) }
}

export interface PreparedModule {
  bytes: Uint8Array
  /** True when the module counts its float operations in the exported `cyclex_flops` global. */
  instrumented: boolean
  /** Why it is not instrumented, when it is not. */
  notInstrumentedReason?: string
}

export interface PrepareOptions extends CapOptions {
  instrument: boolean
}

/** Whether the engine accepts the bytes as a module (every instruction, type and index checked). */
function validates(bytes: Uint8Array): boolean {
  return WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)
}

/**
 * The module as the seller runs it: validated, checked (checkJobModule), memory and tables capped, and
 * when asked and possible, instrumented. A module that cannot be instrumented runs uninstrumented.
 * Throws WasmModuleError (code ERR_WASM_MODULE) with what is wrong; whatever it answers validates.
 */
export function prepareJobModule(bytes: Uint8Array, options: PrepareOptions): PreparedModule {
  if (!validates(bytes)) {
    readSections(bytes) // says what is wrong where the section structure already is
    throw new WasmModuleError('the module is not valid WebAssembly (WebAssembly.validate refuses it)')
  }
  const summary = checkJobModule(bytes)
  if (summary.exports.some((entry) => entry.name === flopCounterExport)) {
    throw new WasmModuleError(`the module already exports '${flopCounterExport}', a name the seller's metering uses`)
  }
  let sections = readSections(bytes).map((section) =>
    section.id === 4 || section.id === 5 ? capLimits(section, options) : section,
  )
  const capped = writeModule(sections)
  if (!validates(capped))
    throw new WasmModuleError(
      'capping the memory and tables of this module gave an invalid module; the seller cannot run it',
    )
  if (!options.instrument)
    return { bytes: capped, instrumented: false, notInstrumentedReason: 'the seller does not instrument modules' }
  try {
    const globalsSection = sections.find((section) => section.id === 6)
    const definedGlobals = globalsSection ? new Reader(globalsSection.content).u32() : 0
    const globalIndex = countImportedGlobals(sections) + definedGlobals
    const code = sections.find((section) => section.id === 10)
    if (!code) return { bytes: capped, instrumented: false, notInstrumentedReason: 'the module has no code' }
    const parameters = parameterCounts(sections)
    sections = sections.map((section) => (section.id === 10 ? rewriteCode(section, globalIndex, parameters) : section))
    // A mutable i64 initialised by `i64.const 0; end`.
    const globalEntry = [0x7e, 0x01, 0x42, 0x00, 0x0b]
    const nameBytes = Array.from(new TextEncoder().encode(flopCounterExport))
    const exportEntry = [...u32Bytes(nameBytes.length), ...nameBytes, 0x03, ...u32Bytes(globalIndex)]
    const withGlobal = globalsSection
      ? sections.map((section) => (section.id === 6 ? appendEntry(section, 6, globalEntry) : section))
      : insertInOrder(sections, appendEntry(undefined, 6, globalEntry))
    const exportsSection = withGlobal.find((section) => section.id === 7)
    const withExport = exportsSection
      ? withGlobal.map((section) => (section.id === 7 ? appendEntry(section, 7, exportEntry) : section))
      : insertInOrder(withGlobal, appendEntry(undefined, 7, exportEntry))
    const instrumented = writeModule(withExport)
    if (!validates(instrumented))
      return {
        bytes: capped,
        instrumented: false,
        notInstrumentedReason:
          "instrumenting this module gave an invalid module (a fault of the seller's instrumentation)",
      }
    return { bytes: instrumented, instrumented: true }
  } catch (error) {
    if (error instanceof NotInstrumentableError)
      return { bytes: capped, instrumented: false, notInstrumentedReason: error.message }
    throw error
  }
}
