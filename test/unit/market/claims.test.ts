// One worked example per claim the market core implements; each test is named after its claim.
import { describe, expect, it } from 'vitest'
import { canonicalize, InvalidFactError, matchFacts, type IdentifiedFact } from '../../../src/shared/market'
import { agreement, amend, ask, bid, cancel, day0, decline, group, hour, identify, peer } from './helpers'

const now = day0 + hour

function match(...facts: IdentifiedFact[]) {
  return matchFacts(facts, now)
}

function refusal(value: unknown): { path: string | undefined; message: string } {
  try {
    canonicalize(value)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidFactError)
    return { path: (error as InvalidFactError).path, message: (error as Error).message }
  }
  throw new Error('the fact was accepted')
}

describe('matching a bid with an ask (claims 1, 13, 43)', () => {
  it('claim 1: a bid at or above an ask is matched with it, for the capacity the seller has', () => {
    const buyer = bid({ price: 1200, quantity: 50 })
    const seller = ask({ price: 1000, quantity: 80, createdAt: day0 - 1000 })
    expect(match(buyer, seller)).toEqual({
      proposals: [{ bid: buyer.id, ask: seller.id, quantity: 50, price: 1000 }],
      negotiations: [],
    })
  })

  it('claim 13: the selling computer provides a portion of its available capacity', () => {
    const buyer = bid({ quantity: 30 })
    const seller = ask({ quantity: 100 })
    const [proposal] = match(buyer, seller).proposals
    expect(proposal?.quantity).toBe(30)
  })

  it('claim 43: the fill is priced from the bid and ask amounts, at the older order’s price', () => {
    const olderBid = bid({ price: 1500, createdAt: day0 })
    const newerAsk = ask({ price: 1100, createdAt: day0 + 5 })
    expect(match(olderBid, newerAsk).proposals[0]?.price).toBe(1500)
    const newerBid = bid({ price: 1500, createdAt: day0 + 10 })
    expect(match(newerBid, newerAsk).proposals[0]?.price).toBe(1100)
    const sameTimeBid = bid({ price: 1500, createdAt: day0 + 5 })
    expect(match(sameTimeBid, newerAsk).proposals[0]?.price).toBe(1100)
  })
})

describe('windows, quantities and units in matching (claims 2-7)', () => {
  it('claim 2: a bid is matched only with an ask available from its start time to its end time', () => {
    const buyer = bid({ window: { start: day0 + 2 * hour, end: day0 + 4 * hour } })
    const tooShort = ask({ window: { start: day0 + 2 * hour, end: day0 + 3 * hour }, price: 900 })
    const covering = ask({ window: { start: day0 + hour, end: day0 + 4 * hour }, price: 950, owner: peer(3) })
    expect(match(buyer, tooShort, covering).proposals.map((p) => p.ask)).toEqual([covering.id])
  })

  it('claim 3: the needed quantity bounds what the buyer is proposed', () => {
    const buyer = bid({ quantity: 7 })
    expect(match(buyer, ask({ quantity: 1000 })).proposals[0]?.quantity).toBe(7)
  })

  it('claim 4: a bid in page views is matched only with page views, GFLOP only with GFLOP', () => {
    const buyer = bid({ unit: 'pageview' })
    const flopAsk = ask({ unit: 'flop', price: 1 })
    const pageviewAsk = ask({ unit: 'pageview', price: 2, owner: peer(3) })
    expect(match(buyer, flopAsk, pageviewAsk).proposals.map((p) => p.ask)).toEqual([pageviewAsk.id])
  })

  it('claim 5: an ask whose end time has passed is no longer matched', () => {
    const seller = ask({ window: { start: day0, end: now } })
    const buyer = bid({ window: { start: day0, end: day0 + 10 } })
    expect(match(buyer, seller).proposals).toEqual([])
  })

  it('claim 6: the available quantity bounds the fill', () => {
    const buyer = bid({ quantity: 500 })
    expect(match(buyer, ask({ quantity: 40 })).proposals[0]?.quantity).toBe(40)
  })

  it('claim 7: an ask in GFLOP is matched only with bids in GFLOP', () => {
    const seller = ask({ unit: 'flop' })
    expect(match(bid({ unit: 'pageview' }), seller).proposals).toEqual([])
    expect(match(bid({ unit: 'flop' }), seller).proposals).toHaveLength(1)
  })
})

describe('the walk of the matcher (claims 14-16, 44, 45)', () => {
  it('claim 14: a seller asking more than the bid becomes the negotiating seller, and matching follows once amounts meet', () => {
    const buyer = bid({ price: 1000 })
    const seller = ask({ price: 1300 })
    const dearer = ask({ price: 1400, owner: peer(3) })
    expect(match(buyer, seller, dearer)).toEqual({ proposals: [], negotiations: [{ bid: buyer.id, ask: seller.id }] })
    // The seller concedes: an amendment of its price to meet the bid.
    const concession = amend(seller, { price: 1000, createdAt: day0 + 5000 })
    expect(match(buyer, seller, dearer, concession)).toEqual({
      proposals: [{ bid: buyer.id, ask: seller.id, quantity: 100, price: 1000 }],
      negotiations: [],
    })
  })

  it('claim 15: a fill reduces the seller’s available quantity, in the run and through agreements', () => {
    const first = bid({ price: 1500, quantity: 60 })
    const second = bid({ price: 1400, quantity: 60, owner: peer(3) })
    const seller = ask({ quantity: 100 })
    expect(match(first, second, seller).proposals.map((p) => p.quantity)).toEqual([60, 40])
    const [take, confirm] = agreement(first, seller, 60)
    expect(match(first, second, seller, take, confirm).proposals).toEqual([
      { bid: second.id, ask: seller.id, quantity: 40, price: 1000 },
    ])
  })

  it('claim 16: a buyer not filled by one seller goes on to the next seller in the same window', () => {
    const buyer = bid({ quantity: 100, price: 2000 })
    const cheap = ask({ quantity: 30, price: 900 })
    const next = ask({ quantity: 100, price: 950, owner: peer(3) })
    expect(match(buyer, cheap, next).proposals).toEqual([
      { bid: buyer.id, ask: cheap.id, quantity: 30, price: 900 },
      { bid: buyer.id, ask: next.id, quantity: 70, price: 950 },
    ])
  })

  it('claim 44: a seller is matched with the highest bidder first', () => {
    const low = bid({ price: 1100, owner: peer(1) })
    const high = bid({ price: 1300, owner: peer(3) })
    const seller = ask({ quantity: 100, price: 1000, owner: peer(2) })
    expect(match(low, high, seller).proposals).toEqual([{ bid: high.id, ask: seller.id, quantity: 100, price: 1000 }])
  })

  it('claim 45: a buyer is matched with the seller having the lowest ask first', () => {
    const buyer = bid({ quantity: 10, price: 2000 })
    const dear = ask({ price: 1500, owner: peer(2) })
    const cheap = ask({ price: 1200, owner: peer(3) })
    expect(match(buyer, dear, cheap).proposals.map((p) => p.ask)).toEqual([cheap.id])
  })
})

describe('the indication of capacity (claims 23-31)', () => {
  const valid = bid().fact

  it('claim 25: a bid carries a bid amount and an ask an ask amount, in whole micro-credits', () => {
    expect(refusal({ ...valid, price: 10.5 })).toEqual({
      path: 'price',
      message: 'price must be a whole number of micro-credits',
    })
    expect(refusal({ ...valid, price: undefined }).message).toBe('price is required')
  })

  it('claim 26: a bid carries a start and an end time, the end after the start', () => {
    expect(refusal({ ...valid, window: { start: day0 + hour, end: day0 + hour } })).toEqual({
      path: 'window.end',
      message: 'window.end must be after window.start',
    })
  })

  it('claim 27: a bid carries a whole, positive quantity', () => {
    expect(refusal({ ...valid, quantity: 0 }).message).toBe('quantity must be at least 1')
    expect(refusal({ ...valid, quantity: 2.5 }).message).toBe('quantity must be a whole number of units')
  })

  it('claim 28: a bid’s quantity is in GFLOP or page views', () => {
    expect(refusal({ ...valid, unit: 'tflop' })).toEqual({
      path: 'unit',
      message: "unit must be one of flop, pageview, not 'tflop'",
    })
    expect(canonicalize({ ...valid, unit: 'pageview' }).fact).toMatchObject({ unit: 'pageview' })
  })

  it('claim 29: an ask carries a start and an end time, the end after the start', () => {
    const seller = ask().fact
    expect(refusal({ ...seller, window: { start: day0 + 5, end: day0 } }).path).toBe('window.end')
  })

  it('claim 30: an ask carries a whole, positive quantity', () => {
    expect(refusal({ ...ask().fact, quantity: -3 }).path).toBe('quantity')
  })

  it('claim 31: an ask’s quantity is in GFLOP or page views', () => {
    expect(refusal({ ...ask().fact, unit: 'bytes' }).path).toBe('unit')
  })
})

describe('requirements and capabilities (claims 35-40)', () => {
  it('claim 35: a bid is matched only with an ask whose capabilities meet its requirements', () => {
    const buyer = bid({ requirements: { storageGb: 100, cores: 8 } })
    const small = ask({ price: 500, capabilities: { storageGb: 50, cores: 16 } })
    const fitting = ask({ price: 900, capabilities: { storageGb: 200, cores: 8 }, owner: peer(3) })
    expect(match(buyer, small, fitting).proposals.map((p) => p.ask)).toEqual([fitting.id])
  })

  it('claim 36: preferred sellers and groups of sellers; preferred buyers and groups of buyers', () => {
    const lab = group(5, 'lab', [3])
    const buyer = bid({ owner: peer(1), counterparties: { groups: [`${peer(5)}/lab`] } })
    const outsider = ask({ owner: peer(2), price: 500 })
    const member = ask({ owner: peer(3), price: 900 })
    expect(match(lab, buyer, outsider, member).proposals.map((p) => p.ask)).toEqual([member.id])
    // A seller that prefers another buyer is not matched with this one, however cheap.
    const choosySeller = ask({ owner: peer(4), price: 100, counterparties: { peers: [peer(6)] } })
    const openBuyer = bid({ owner: peer(1), price: 1000 })
    expect(match(openBuyer, choosySeller).proposals).toEqual([])
    const welcomeBuyer = bid({ owner: peer(6), price: 1000 })
    expect(match(welcomeBuyer, choosySeller).proposals.map((p) => p.ask)).toEqual([choosySeller.id])
  })

  it('claim 37: the buyer’s required storage against the seller’s available storage', () => {
    const buyer = bid({ requirements: { storageGb: 64 } })
    expect(match(buyer, ask({ capabilities: { storageGb: 63 } })).proposals).toEqual([])
    expect(match(buyer, ask({ capabilities: { storageGb: 64 } })).proposals).toHaveLength(1)
    expect(match(buyer, ask({})).proposals).toEqual([])
  })

  it('claim 38: the operating systems the buyer’s program runs on against the seller’s', () => {
    const buyer = bid({ requirements: { os: [{ family: 'linux', minVersion: '5.15' }, { family: 'freebsd' }] } })
    expect(match(buyer, ask({ capabilities: { os: { family: 'windows', version: '11' } } })).proposals).toEqual([])
    expect(match(buyer, ask({ capabilities: { os: { family: 'linux', version: '5.4' } } })).proposals).toEqual([])
    expect(match(buyer, ask({ capabilities: { os: { family: 'linux', version: '6.1' } } })).proposals).toHaveLength(1)
    expect(match(buyer, ask({ capabilities: { os: { family: 'freebsd' } } })).proposals).toHaveLength(1)
  })

  it('claim 39: the buyer’s required processor speed against the seller’s', () => {
    const buyer = bid({ requirements: { gflopsPerCore: 20, cores: 4 } })
    expect(match(buyer, ask({ capabilities: { gflopsPerCore: 19, cores: 64 } })).proposals).toEqual([])
    expect(match(buyer, ask({ capabilities: { gflopsPerCore: 25, cores: 4 } })).proposals).toHaveLength(1)
  })

  it('claim 40: the buyer’s network interface needs against the seller’s interface', () => {
    const buyer = bid({ requirements: { bandwidthMbps: 1000 } })
    expect(match(buyer, ask({ capabilities: { bandwidthMbps: 100 } })).proposals).toEqual([])
    expect(match(buyer, ask({ capabilities: { bandwidthMbps: 10_000 } })).proposals).toHaveLength(1)
  })
})

describe('negotiating specifications (claims 41, 42)', () => {
  it('claim 41: a buyer and a seller apart on price are matched through their negotiating specifications', () => {
    const buyer = bid({ price: 1000, range: 1200 })
    const seller = ask({ price: 1300, range: 1100 })
    const other = ask({ price: 1350, range: 1350, owner: peer(3) })
    expect(match(buyer, seller, other)).toEqual({
      // floor((max(1000, 1100) + min(1300, 1200)) / 2) = floor(2300 / 2)
      proposals: [{ bid: buyer.id, ask: seller.id, quantity: 100, price: 1150 }],
      negotiations: [],
    })
  })

  it('claim 42: the buyer’s range of acceptable asks and the seller’s range of acceptable bids must overlap', () => {
    const buyer = bid({ price: 1000, range: 1099 })
    const seller = ask({ price: 1300, range: 1100 })
    expect(match(buyer, seller)).toEqual({ proposals: [], negotiations: [{ bid: buyer.id, ask: seller.id }] })
    expect(refusal({ ...buyer.fact, range: 900 })).toEqual({
      path: 'range',
      message: 'range must be at least price on a bid: it is the highest ask the buyer accepts',
    })
    expect(refusal({ ...seller.fact, range: 1400 }).path).toBe('range')
  })
})

describe('live orders and the replicated facts', () => {
  it('a cancelled, expired or declined order is not matched; a cancel by someone else is ignored', () => {
    const buyer = bid()
    const seller = ask()
    expect(match(buyer, seller, cancel(seller)).proposals).toEqual([])
    expect(match(buyer, seller, cancel(seller, peer(9))).proposals).toHaveLength(1)
    expect(matchFacts([buyer, seller], seller.fact.expiresAt).proposals).toEqual([])
    expect(match(buyer, seller, decline(buyer, seller)).proposals).toEqual([])
    expect(match(buyer, seller, decline(buyer, seller, seller.fact.owner)).proposals).toEqual([])
    expect(match(buyer, seller, decline(buyer, seller, peer(9))).proposals).toHaveLength(1)
  })

  it('an owner is never matched with itself', () => {
    expect(match(bid({ owner: peer(1) }), ask({ owner: peer(1) }))).toEqual({ proposals: [], negotiations: [] })
  })

  it('an amendment may not grow the quantity, and the highest seq is in force', () => {
    const buyer = bid({ quantity: 1000, price: 5000 })
    const seller = ask({ quantity: 100 })
    const grow = amend(seller, { quantity: 200, seq: 1 })
    expect(match(buyer, seller, grow).proposals[0]?.quantity).toBe(100)
    const shrink = amend(seller, { quantity: 40, seq: 2 })
    const older = amend(seller, { quantity: 60, seq: 1 })
    expect(match(buyer, seller, older, shrink).proposals[0]?.quantity).toBe(40)
  })

  it('an amended order is as old as its amendment (the older order’s price follows)', () => {
    const seller = ask({ price: 900, createdAt: day0 })
    const buyer = bid({ price: 1000, createdAt: day0 + 10 })
    expect(match(buyer, seller).proposals[0]?.price).toBe(900)
    const repriced = amend(seller, { price: 950, createdAt: day0 + 20 })
    expect(match(buyer, seller, repriced).proposals[0]?.price).toBe(1000)
  })

  it('a late confirm does not bind, and a take by someone other than the buyer does not bind', () => {
    const buyer = bid({ quantity: 100 })
    const seller = ask({ quantity: 100 })
    const [take, confirm] = agreement(buyer, seller, 100)
    const late = identify({ ...confirm.fact, createdAt: take.fact.validUntil + 1 })
    expect(match(buyer, seller, take, late).proposals[0]?.quantity).toBe(100)
    expect(match(buyer, seller, take, confirm).proposals).toEqual([])
    const forgedTake = identify({ ...take.fact, owner: peer(9) })
    const confirmOfForged = identify({ ...confirm.fact, take: forgedTake.id })
    expect(match(buyer, seller, forgedTake, confirmOfForged).proposals[0]?.quantity).toBe(100)
  })
})
