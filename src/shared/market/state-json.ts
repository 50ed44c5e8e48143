// The JSON form of a market state (the input of `cyclex match`) and of the matcher's output.
//
//   state  = { "now": <ms since epoch>, "facts": [ <fact JSON>, ... ] }
//   fact   = the fact's body fields (facts.ts), plus optional "id" (must be its content address)
//            and optional "signature" (base64, checked against the owner when a verifier is given)
//   output = { "proposals": [ { "bid", "ask", "quantity", "price" } ], "negotiations": [ { "bid", "ask" } ] }
//
// The facts are a set: their order in the list and repeats do not change the output.
import { factFromJson, type FactFromJsonOptions } from './encoding'
import { InvalidFactError } from './errors'
import type { IdentifiedFact } from './facts'
import type { MatchResult } from './matcher'

export interface MarketStateInput {
  now: number
  facts: IdentifiedFact[]
}

function fail(path: string, message: string): never {
  throw new InvalidFactError(path === '' ? message : `${path} ${message}`, path === '' ? {} : { path })
}

/** Check a state in its JSON form: every fact as on receipt, and `now` a whole number of ms. */
export function parseMarketState(value: unknown, options: FactFromJsonOptions = {}): MarketStateInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('', 'a market state must be an object { "now": <ms>, "facts": [...] }')
  }
  const { now, facts, ...rest } = value as Record<string, unknown>
  const unknownField = Object.keys(rest)[0]
  if (unknownField !== undefined) fail(unknownField, 'is not a known field of a market state (now, facts)')
  if (now === undefined) fail('now', 'is required: the time to match at, in ms since the epoch')
  if (typeof now !== 'number' || !Number.isSafeInteger(now) || now < 0)
    fail('now', 'must be a whole number of milliseconds since the epoch')
  if (!Array.isArray(facts)) fail('facts', 'must be a list of facts')
  return { now, facts: facts.map((fact, index) => factFromJson(fact, `facts[${index}]`, options)) }
}

/** The output's JSON text: two-space indented, fields in a fixed order, a final newline. */
export function formatMatchResult(result: MatchResult): string {
  const output = {
    proposals: result.proposals.map(({ bid, ask, quantity, price }) => ({ bid, ask, quantity, price })),
    negotiations: result.negotiations.map(({ bid, ask }) => ({ bid, ask })),
  }
  return `${JSON.stringify(output, null, 2)}\n`
}
