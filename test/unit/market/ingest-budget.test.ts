// The ingest budget with time passed in: per peer and per address, loopback left out unless asked,
// the sync allowance, and penalties then a disconnect for a peer that keeps sending past it.
import { describe, expect, it } from 'vitest'
import { nodeSha256 } from '../../../src/main/core/market-crypto'
import { FactIntake } from '../../../src/main/core/market/fact-intake'
import { IngestBudget, isLoopback, peerAddressLookup } from '../../../src/main/core/market/ingest-budget'
import { encodeSignedFact, signFact } from '../../../src/shared/market'
import { bid, day0, emptyIntakeComponents, peer, signerOf } from './helpers'

function budgetWith(addresses: Record<string, string>, init: ConstructorParameters<typeof IngestBudget>[1] = {}) {
  const penalized: string[] = []
  const disconnected: string[] = []
  const budget = new IngestBudget(
    {
      addressOf: (peer) => addresses[peer],
      penalize: (peer) => penalized.push(peer),
      disconnect: (peer) => disconnected.push(peer),
    },
    init,
  )
  return { budget, penalized, disconnected }
}

function takeMany(budget: IngestBudget, peer: string, count: number, now: number): number {
  let taken = 0
  for (let index = 0; index < count; index++) if (budget.take(peer, now)) taken++
  return taken
}

describe('IngestBudget', () => {
  it('lets a peer deliver its burst, then its rate, and tells sync how much is left', () => {
    const { budget } = budgetWith({}, { perPeer: { ratePerSecond: 10, burst: 50 } })
    expect(budget.allowance('a', 0)).toBe(50)
    expect(takeMany(budget, 'a', 80, 0)).toBe(50)
    expect(budget.allowance('a', 0)).toBe(0)
    expect(budget.allowance('a', 2_000)).toBe(20)
    expect(takeMany(budget, 'a', 80, 2_000)).toBe(20)
    // Another peer is not touched.
    expect(takeMany(budget, 'b', 80, 2_000)).toBe(50)
  })

  it('shares one budget among the peers of one address, but not among loopback peers unless asked', () => {
    const addresses = { a: '203.0.113.7', b: '203.0.113.7', c: '198.51.100.1', l1: '127.0.0.1', l2: '127.0.0.1' }
    const perPeer = { ratePerSecond: 10, burst: 100 }
    const perAddress = { ratePerSecond: 10, burst: 150 }
    const { budget } = budgetWith(addresses, { perPeer, perAddress })
    expect(takeMany(budget, 'a', 100, 0)).toBe(100)
    expect(takeMany(budget, 'b', 100, 0)).toBe(50)
    expect(budget.allowance('b', 0)).toBe(0)
    expect(takeMany(budget, 'c', 100, 0)).toBe(100)
    expect(takeMany(budget, 'l1', 100, 0) + takeMany(budget, 'l2', 100, 0)).toBe(200)

    const strict = budgetWith(addresses, { perPeer, perAddress, budgetLoopback: true }).budget
    expect(takeMany(strict, 'l1', 100, 0) + takeMany(strict, 'l2', 100, 0)).toBe(150)
  })

  it('scores a peer down for every refusalsPerPenalty refusals, and disconnects it after penaltiesBeforeDisconnect', () => {
    const { budget, penalized, disconnected } = budgetWith(
      {},
      { refusalsPerPenalty: 10, penaltiesBeforeDisconnect: 3, penaltyWindowMs: 60_000 },
    )
    for (let index = 0; index < 25; index++) budget.refused('m', 1_000)
    expect(penalized).toEqual(['m', 'm'])
    expect(disconnected).toEqual([])
    for (let index = 0; index < 5; index++) budget.refused('m', 2_000)
    expect(penalized).toHaveLength(3)
    expect(disconnected).toEqual(['m'])
    expect(budget.stats()).toEqual({ refused: 30, disconnected: 1 })
  })

  it('forgets penalties older than the window', () => {
    const { budget, disconnected } = budgetWith(
      {},
      { refusalsPerPenalty: 1, penaltiesBeforeDisconnect: 2, penaltyWindowMs: 1_000 },
    )
    budget.refused('m', 0)
    budget.refused('m', 5_000)
    expect(disconnected).toEqual([])
    budget.refused('m', 5_500)
    expect(disconnected).toEqual(['m'])
  })
})

describe('the intake on the budgets', () => {
  it("counts the facts it refuses for a peer's budget (gossip and sync) and for an owner's rate", () => {
    const intake = new FactIntake(emptyIntakeComponents(), {
      budget: { perPeer: { ratePerSecond: 1, burst: 3 } },
      perOwner: { ratePerSecond: 1, burst: 2 },
    })
    const now = day0 + 1_000
    const order = (quantity: number) =>
      encodeSignedFact(
        signFact({ ...bid({ owner: peer(1), quantity }).fact, createdAt: now }, signerOf(1), { sha256: nodeSha256 }),
      )
    const gossip = { from: 'a', via: 'gossip', topic: '/cyclex/orders/1', now } as const
    const outcomes = [1, 2, 3, 4].map((quantity) => intake.check(order(quantity), gossip).outcome)
    // Two within the owner's burst; the third within the peer's budget but past the owner's; the fourth past the peer's.
    expect(outcomes).toEqual(['accept', 'accept', 'ignore', 'ignore'])
    expect(intake.stats()).toEqual({ overBudget: 1, overOwnerRate: 1, disconnected: 0 })
    expect(intake.check(order(5), { from: 'a', via: 'sync', now }).outcome).toBe('ignore')
    // A second later on the clock passed in, one more fact from the peer.
    expect(intake.check(order(6), { from: 'a', via: 'sync', now: now + 1_000 }).outcome).toBe('accept')
    expect(intake.stats()).toEqual({ overBudget: 2, overOwnerRate: 1, disconnected: 0 })
  })
})

describe('peer addresses', () => {
  it('knows loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address)).toBe(true)
    for (const address of ['10.0.0.1', '203.0.113.7', '::2', '2001:db8::1']) expect(isLoopback(address)).toBe(false)
  })

  it('reads the address of a direct connection, and none of a relayed one', () => {
    const connections = [
      { remotePeer: 'relayed', remoteAddr: '/ip4/198.51.100.9/tcp/4001/p2p/relay/p2p-circuit' },
      { remotePeer: 'direct', remoteAddr: '/ip6/2001:db8::1/tcp/4001' },
      { remotePeer: 'direct4', remoteAddr: '/ip4/203.0.113.7/tcp/4001' },
    ]
    const lookup = peerAddressLookup({ getConnections: () => connections })
    expect(lookup('relayed')).toBeUndefined()
    expect(lookup('direct')).toBe('2001:db8::1')
    expect(lookup('direct4')).toBe('203.0.113.7')
    expect(lookup('absent')).toBeUndefined()
  })
})
