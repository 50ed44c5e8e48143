// parseFact takes a safe whole number or a text before it works out any error's path (schema.ts's
// integer and text): for every kind of value, at the top and in nested records, it still gives the
// rule's value or named error with its path and sentence, as below.
import { describe, expect, it } from 'vitest'
import { InvalidFactError, parseFact } from '../../../src/shared/market'
import { ask, bid } from './helpers'

/** The rule for a whole number of `noun` at least `min` at `path`: the value, or the error's message. */
function integerRule(value: unknown, path: string, noun: string, min: number): number | string {
  if (value === undefined) return `${path} is required`
  if (typeof value === 'bigint') return `${path} must be at most ${Number.MAX_SAFE_INTEGER}`
  if (typeof value !== 'number' || Number.isNaN(value)) {
    const described = value === null ? 'null' : typeof value === 'string' ? 'text' : `a ${typeof value}`
    return `${path} must be a whole number of ${noun}, not ${described}`
  }
  if (!Number.isInteger(value)) return `${path} must be a whole number of ${noun}`
  if (value > Number.MAX_SAFE_INTEGER) return `${path} must be at most ${Number.MAX_SAFE_INTEGER}`
  if (value < min) return `${path} must be at least ${min}`
  return value
}

function outcome(value: unknown): unknown {
  try {
    return parseFact(value)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidFactError)
    return `${(error as InvalidFactError).message} @${(error as InvalidFactError).path ?? ''}`
  }
}

const candidates: unknown[] = [
  undefined,
  null,
  'x',
  true,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  0,
  -0,
  1,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 60),
  10n,
]

describe('whole numbers and texts of a fact body', () => {
  it("give the rule's value or error, with its path, wherever they are", () => {
    const places = [
      { base: bid().fact, path: ['quantity'], noun: 'units', min: 1 },
      { base: bid().fact, path: ['price'], noun: 'micro-credits', min: 0 },
      { base: bid().fact, path: ['window', 'end'], noun: 'milliseconds', min: 0 },
      {
        base: ask({ capabilities: { cores: 4 } }).fact,
        path: ['capabilities', 'cores'],
        noun: 'cores',
        min: 0,
        optional: true,
      },
      {
        base: bid({ requirements: { storageGb: 2 } }).fact,
        path: ['requirements', 'storageGb'],
        noun: 'GB',
        min: 0,
        optional: true,
      },
    ]
    let refused = 0
    for (const { base, path, noun, min, optional } of places) {
      for (const value of candidates) {
        const changed = structuredClone(base) as unknown as Record<string, Record<string, unknown>>
        const holder = path.length === 1 ? changed : changed[path[0]!]!
        holder[path.at(-1)!] = value
        if (value === undefined) delete holder[path.at(-1)!]
        // A field that may be left out is, when undefined: the fact is taken without it.
        const rule = optional && value === undefined ? undefined : integerRule(value, path.join('.'), noun, min)
        const result = outcome(changed)
        if (typeof rule === 'string') {
          refused++
          expect(result).toBe(`${rule} @${path.join('.')}`)
        } else if (typeof result !== 'string') {
          // Accepted by the number's rule; other rules (the window's order) may still refuse the fact.
          const parsed = result as Record<string, Record<string, unknown>>
          expect((path.length === 1 ? parsed : parsed[path[0]!]!)[path.at(-1)!]).toBe(rule)
        }
      }
    }
    expect(refused).toBeGreaterThan(40)
  })

  it('say a text field is required, or must be text, with its path', () => {
    const { fact } = ask({ capabilities: { os: { family: 'linux', version: '22.04' } } })
    const withVersion = (version: unknown) => ({ ...fact, capabilities: { os: { family: 'linux', version } } })
    expect(outcome(withVersion(5))).toBe('capabilities.os.version must be text, not a number @capabilities.os.version')
    expect(outcome(withVersion(null))).toBe('capabilities.os.version must be text, not null @capabilities.os.version')
    expect(outcome({ ...fact, capabilities: { os: {} } })).toBe(
      'capabilities.os.family is required @capabilities.os.family',
    )
    expect(outcome({ ...fact, unit: ['cpu'] })).toBe('unit must be text, not a list @unit')
    expect(outcome(withVersion('22.04'))).toStrictEqual(fact)
  })
})
