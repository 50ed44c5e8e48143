// The compute kernel of the benchmark: a blocked dense matrix multiply C = A x B on square n x n
// matrices, in float64 (Float64Array) or float32 (Float32Array). Its floating-point operation count
// is exact: every (i, k, j) triple does one multiply and one add, 2 n^3 per product, whatever the
// block size. The code is pure (no clock, no randomness, no I/O) so the same file runs in Node's
// worker_threads, in a browser's Web Workers and in the tests; the runner brings the clock.

export const precisions = ['f64', 'f32'] as const
export type Precision = (typeof precisions)[number]

export type Matrix = Float64Array | Float32Array

/** Floating-point operations of one n x n product: n^3 multiplies and n^3 adds. */
export function flopsPerMultiply(size: number): number {
  return 2 * size * size * size
}

export function allocateMatrix(precision: Precision, size: number): Matrix {
  return precision === 'f64' ? new Float64Array(size * size) : new Float32Array(size * size)
}

/**
 * Fill `matrix` with values in [-1, 1) from a 32-bit xorshift sequence started at `seed`: the same
 * seed gives the same matrix on every machine, and the values are varied enough that a wrong index
 * in the kernel changes the product.
 */
export function fillSeeded(matrix: Matrix, seed: number): void {
  let state = seed >>> 0 || 0x9e3779b9
  for (let index = 0; index < matrix.length; index++) {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    matrix[index] = state / 0x80000000 - 1
  }
}

/**
 * C = A x B, row-major, in blocks of `blockSize` so that a block of B stays in cache while a block
 * of rows of A streams past it. Inside a block the loop order is i-k-j: the innermost loop walks a
 * row of B and a row of C contiguously. C is overwritten.
 */
export function multiplyBlocked(a: Matrix, b: Matrix, c: Matrix, size: number, blockSize: number): void {
  if (a.length !== size * size || b.length !== size * size || c.length !== size * size) {
    throw new RangeError(`matrices must have ${size * size} elements for size ${size}`)
  }
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new RangeError(`blockSize must be a whole number >= 1, not ${blockSize}`)
  c.fill(0)
  for (let iBlock = 0; iBlock < size; iBlock += blockSize) {
    const iEnd = Math.min(iBlock + blockSize, size)
    for (let kBlock = 0; kBlock < size; kBlock += blockSize) {
      const kEnd = Math.min(kBlock + blockSize, size)
      for (let jBlock = 0; jBlock < size; jBlock += blockSize) {
        const jEnd = Math.min(jBlock + blockSize, size)
        for (let i = iBlock; i < iEnd; i++) {
          const rowA = i * size
          const rowC = i * size
          for (let k = kBlock; k < kEnd; k++) {
            const aik = a[rowA + k] as number
            const rowB = k * size
            for (let j = jBlock; j < jEnd; j++) {
              c[rowC + j] = (c[rowC + j] as number) + aik * (b[rowB + j] as number)
            }
          }
        }
      }
    }
  }
}

export interface KernelWorkspace {
  readonly precision: Precision
  readonly size: number
  readonly blockSize: number
  readonly a: Matrix
  readonly b: Matrix
  readonly c: Matrix
}

/** Three matrices of `size`, A and B filled from `seed` and `seed + 1`. */
export function createWorkspace(precision: Precision, size: number, blockSize: number, seed: number): KernelWorkspace {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a whole number >= 1, not ${size}`)
  const a = allocateMatrix(precision, size)
  const b = allocateMatrix(precision, size)
  fillSeeded(a, seed)
  fillSeeded(b, seed + 1)
  return { precision, size, blockSize, a, b, c: allocateMatrix(precision, size) }
}

/** One product in the workspace; answers the floating-point operations it did. */
export function multiplyOnce(workspace: KernelWorkspace): number {
  multiplyBlocked(workspace.a, workspace.b, workspace.c, workspace.size, workspace.blockSize)
  return flopsPerMultiply(workspace.size)
}

export interface BudgetRun {
  multiplies: number
  /** Exactly multiplies x 2 n^3. */
  flops: number
  /** The sum of C after the last product: keeps the work observable, so no engine can skip it. */
  checksum: number
}

/**
 * Multiply until `budgetMs` has passed on the caller's clock (at least `minMultiplies` times), and
 * call `onMultiply` after each product with the elapsed time. The clock is an argument: the kernel
 * stays deterministic, and the runner decides what time is.
 */
export function multiplyForBudget(
  workspace: KernelWorkspace,
  options: {
    budgetMs: number
    minMultiplies?: number
    now: () => number
    onMultiply?: (multiplies: number, elapsedMs: number) => void
  },
): BudgetRun {
  const minMultiplies = options.minMultiplies ?? 1
  const start = options.now()
  let multiplies = 0
  let elapsed = 0
  while (multiplies < minMultiplies || elapsed < options.budgetMs) {
    multiplyOnce(workspace)
    multiplies++
    elapsed = options.now() - start
    options.onMultiply?.(multiplies, elapsed)
  }
  let checksum = 0
  for (let index = 0; index < workspace.c.length; index++) checksum += workspace.c[index] as number
  return { multiplies, flops: multiplies * flopsPerMultiply(workspace.size), checksum }
}
