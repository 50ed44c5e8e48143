// Canonical NaNs for checked results (docs/delivery.md, Checked results). WebAssembly lets a float
// operation that makes a NaN give it any sign and payload: x86-64 gives 0/0 as 0xfff8000000000000,
// arm64 as 0x7ff8000000000000. A module that writes a NaN's raw bits would then print other bytes on
// two honest sellers. So the instrumenter (wasm-module.ts) follows each float operation that can make
// a NaN with `local.tee t; <canonical NaN>; local.get t; local.get t; fN.eq; select`: the value itself
// when it is not a NaN, else the canonical NaN (0x7fc00000, 0x7ff8000000000000), the same everywhere.
// Operations that only move bits (abs, neg, copysign, reinterpret, loads) keep them, as the spec does.
/** Opcodes whose result is an f32 or f64 NaN with an unspecified sign and payload when it is a NaN. */
export const nanMakingOps = new Map<number, 'f32' | 'f64'>([
  // f32 ceil, floor, trunc, nearest, sqrt, add, sub, mul, div, min, max; f32.demote_f64
  ...[0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0xb6].map((opcode) => [opcode, 'f32'] as const),
  // f64 ceil, floor, trunc, nearest, sqrt, add, sub, mul, div, min, max; f64.promote_f32
  ...[0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xbb].map((opcode) => [opcode, 'f64'] as const),
])

/**
 * The instructions that replace the value on the stack by itself or, when it is a NaN, the canonical
 * one; `local` is the LEB128 index of a temporary local of the value's type.
 */
export function canonicalizeNan(type: 'f32' | 'f64', local: readonly number[]): number[] {
  return type === 'f32'
    ? [0x22, ...local, 0x43, 0x00, 0x00, 0xc0, 0x7f, 0x20, ...local, 0x20, ...local, 0x5b, 0x1b]
    : [0x22, ...local, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f, 0x20, ...local, 0x20, ...local, 0x61, 0x1b]
}
