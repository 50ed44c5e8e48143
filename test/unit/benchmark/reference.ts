// The naive triple loop the blocked kernel is checked against: no blocks, i-k-j, accumulating into
// the same typed array type so the rounding of every step is the kernel's.
import type { Matrix } from '../../../src/shared/benchmark/kernel'

export function naiveMultiply(a: Matrix, b: Matrix, c: Matrix, size: number): void {
  c.fill(0)
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < size; k++) {
      for (let j = 0; j < size; j++) {
        c[i * size + j] = (c[i * size + j] as number) + (a[i * size + k] as number) * (b[k * size + j] as number)
      }
    }
  }
}

/** The textbook dot-product form, summed in float64: an independent check of the values. */
export function dotProductMultiply(a: Matrix, b: Matrix, size: number): Float64Array {
  const c = new Float64Array(size * size)
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let sum = 0
      for (let k = 0; k < size; k++) sum += (a[i * size + k] as number) * (b[k * size + j] as number)
      c[i * size + j] = sum
    }
  }
  return c
}
