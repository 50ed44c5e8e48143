import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  allocateMatrix,
  createWorkspace,
  fillSeeded,
  flopsPerMultiply,
  multiplyBlocked,
  multiplyForBudget,
  precisions,
} from '../../../src/shared/benchmark/kernel'
import { dotProductMultiply, naiveMultiply } from './reference'

describe('the blocked matrix multiply', () => {
  for (const precision of precisions) {
    it(`gives exactly the naive loop's ${precision} product for any size and block size`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 48 }),
          fc.integer({ min: 1, max: 2 ** 31 }),
          (size, blockSize, seed) => {
            const { a, b, c } = createWorkspace(precision, size, blockSize, seed)
            multiplyBlocked(a, b, c, size, blockSize)
            const expected = allocateMatrix(precision, size)
            naiveMultiply(a, b, expected, size)
            // Per element the k order is the same as the naive loop's, so the rounding is too.
            expect(Array.from(c)).toEqual(Array.from(expected))
          },
        ),
        { numRuns: 60 },
      )
    })
  }

  it('agrees with the dot-product form within float32 rounding', () => {
    const size = 33
    const { a, b, c } = createWorkspace('f32', size, 8, 7)
    multiplyBlocked(a, b, c, size, 8)
    const exact = dotProductMultiply(a, b, size)
    for (let index = 0; index < c.length; index++) expect(c[index]).toBeCloseTo(exact[index] as number, 3)
  })

  it('computes a known product', () => {
    const a = Float64Array.of(1, 2, 3, 4)
    const b = Float64Array.of(5, 6, 7, 8)
    const c = new Float64Array(4)
    multiplyBlocked(a, b, c, 2, 1)
    expect(Array.from(c)).toEqual([19, 22, 43, 50])
  })

  it('fills the same matrix from the same seed and another from another seed', () => {
    const first = new Float64Array(64)
    const again = new Float64Array(64)
    const other = new Float64Array(64)
    fillSeeded(first, 42)
    fillSeeded(again, 42)
    fillSeeded(other, 43)
    expect(Array.from(first)).toEqual(Array.from(again))
    expect(Array.from(first)).not.toEqual(Array.from(other))
    expect(first.every((value) => value >= -1 && value < 1)).toBe(true)
  })

  it('refuses matrices of the wrong length and a block size below 1', () => {
    const c = new Float64Array(4)
    expect(() => multiplyBlocked(new Float64Array(3), new Float64Array(4), c, 2, 1)).toThrow(RangeError)
    expect(() => multiplyBlocked(new Float64Array(4), new Float64Array(4), c, 2, 0)).toThrow(RangeError)
  })
})

describe('the FLOP count', () => {
  it('is 2 n^3 per product', () => {
    expect(flopsPerMultiply(1)).toBe(2)
    expect(flopsPerMultiply(128)).toBe(4_194_304)
    expect(flopsPerMultiply(256)).toBe(33_554_432)
  })

  it('of a budgeted run is exactly the products done x 2 n^3, whatever the clock says', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 30 }),
        (size, budgetMs, tickMs) => {
          let time = 0
          const elapsed: number[] = []
          const run = multiplyForBudget(createWorkspace('f64', size, 4, 1), {
            budgetMs,
            now: () => (time += tickMs) - tickMs,
            onMultiply: (_, elapsedMs) => elapsed.push(elapsedMs),
          })
          // One product per tick of the fake clock until the budget is spent, and at least one.
          expect(run.multiplies).toBe(Math.max(1, Math.ceil(budgetMs / tickMs)))
          expect(run.flops).toBe(run.multiplies * 2 * size ** 3)
          expect(elapsed).toHaveLength(run.multiplies)
        },
      ),
    )
  })

  it('does at least minMultiplies products even with no budget', () => {
    const run = multiplyForBudget(createWorkspace('f32', 8, 4, 1), { budgetMs: 0, minMultiplies: 5, now: () => 0 })
    expect(run.multiplies).toBe(5)
    expect(run.flops).toBe(5 * 1024)
  })
})
