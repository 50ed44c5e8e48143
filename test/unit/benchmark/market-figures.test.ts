import { describe, expect, it } from 'vitest'
import { summarizeFigure } from '../../../src/shared/benchmark/market-figures'

describe('summarizeFigure', () => {
  it('has nothing to say about no profiles', () => {
    expect(summarizeFigure([])).toBeUndefined()
  })

  it('gives the median and quartiles of the published figures', () => {
    expect(summarizeFigure([4, 1, 3, 2])).toEqual({
      count: 4,
      median: 2.5,
      lowerQuartile: 1.75,
      upperQuartile: 3.25,
      min: 1,
      max: 4,
    })
    expect(summarizeFigure([7])).toEqual({ count: 1, median: 7, lowerQuartile: 7, upperQuartile: 7, min: 7, max: 7 })
  })

  it('ignores figures that are not numbers', () => {
    expect(summarizeFigure([1, Number.NaN, 3])?.median).toBe(2)
  })
})
