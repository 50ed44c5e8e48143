// A seller that over-confirms, for real, across three honest nodes. Mallory is a raw libp2p host with
// the market's gossip settings: she publishes an ask of 10, holds the takes of two honest buyers (the
// second buyer outbid the first while the first take waited), and confirms both, 20 on an ask of 10,
// the second buyer's first and the first buyer's after, backdated. Every honest node binds exactly one
// agreement (the earlier confirm), voids the other, tells the buyer whose agreement turned void, holds
// the proof against Mallory, and blocks her (the default setting).
import { describe, expect, it } from 'vitest'
import type { ApiEvent } from '../../src/shared/api/contract'
import type { AgreementView, OrderView } from '../../src/shared/api/market'
import type { TakeFact } from '../../src/shared/market'
import { marketKit, type MarketNode } from '../helpers/market-kit'
import { waitFor } from '../helpers/nodes'

const kit = marketKit()

const hour = 3_600_000
/** Long enough for Mallory to hold both takes, on a loaded machine, before either lapses. */
const takeTtlMs = 30_000

const start = () => kit.node({ epochMs: 200, takeTtlMs, clockSkewMs: 1_000, lapsesBeforeDecline: 100 })

const agreementsOf = (node: MarketNode): AgreementView[] => node.market.agreements()

describe('a seller that confirms more than its ask', () => {
  it('binds one agreement on every node, voids the other, tells the buyer, and is proven and blocked everywhere', async () => {
    const [alice, bob, carol] = [await start(), await start(), await start()]
    const honest = [alice, bob, carol]
    await alice.api.call('node.connect', { address: bob.status().listenAddresses[0] })
    await bob.api.call('node.connect', { address: carol.status().listenAddresses[0] })
    await carol.api.call('node.connect', { address: alice.status().listenAddresses[0] })

    const mallory = await kit.rawPeer()
    const { key, publish } = mallory
    await mallory.join(honest)
    const takeOf = (bid: string) =>
      mallory.received.find((signed) => signed.fact.kind === 'take' && signed.fact.bid === bid) as
        ((typeof mallory.received)[number] & { fact: TakeFact }) | undefined

    const now = Date.now()
    const ask = await publish({
      kind: 'order',
      owner: key.owner,
      side: 'ask',
      unit: 'flop',
      quantity: 10,
      price: 9,
      window: { start: now - hour, end: now + 4 * hour },
      createdAt: now,
      expiresAt: now + 4 * hour,
    })
    await waitFor(
      () => honest.every((node) => node.market.book.has(ask.id)),
      "Mallory's ask on every honest node",
      20_000,
    )

    // Alice takes the ask; Mallory holds the take. Then Bob outbids Alice and takes the same ask.
    const window = { start: now, end: now + hour }
    const aliceBid = (await alice.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 10, price: 10, window },
    })) as OrderView
    await waitFor(() => takeOf(aliceBid.id) !== undefined, "Alice's take reaching Mallory", 20_000)
    const bobBid = (await bob.api.call('market.place', {
      order: { side: 'bid', unit: 'flop', quantity: 10, price: 11, window },
    })) as OrderView
    await waitFor(() => takeOf(bobBid.id) !== undefined, "Bob's take reaching Mallory", 20_000)
    const aliceTake = takeOf(aliceBid.id)!
    const bobTake = takeOf(bobBid.id)!

    const bobEvents: ApiEvent[] = []
    bob.api.subscribe((event) => bobEvents.push(event))

    // Bob's take is confirmed first: it binds everywhere.
    const confirmedAt = Date.now()
    await publish({ kind: 'confirm', owner: key.owner, take: bobTake.id, createdAt: confirmedAt })
    await waitFor(
      () => honest.every((node) => agreementsOf(node).some((a) => a.id === bobTake.id && a.status === 'binding')),
      "Bob's agreement binding on every node",
      20_000,
    )

    // Then Alice's, backdated before Bob's (inside Alice's take's lifetime): 20 confirmed on an ask of 10.
    await publish({
      kind: 'confirm',
      owner: key.owner,
      take: aliceTake.id,
      createdAt: Math.max(aliceTake.fact.createdAt, confirmedAt - 1),
    })
    await waitFor(
      () => honest.every((node) => agreementsOf(node).length === 2),
      'both agreements on every node',
      20_000,
    )

    for (const node of honest) {
      const byId = new Map(agreementsOf(node).map((a) => [a.id, a]))
      // The earlier confirm binds, whatever order they arrived in; the later is void on every node.
      expect(byId.get(aliceTake.id)).toMatchObject({ status: 'binding', voidReason: null })
      expect(byId.get(bobTake.id)).toMatchObject({ status: 'void', voidReason: 'ask-overfilled' })
      expect(node.market.book.order(ask.id)!.agreedQuantity).toBe(10)
      const proofs = node.market.overCommitments()
      expect(proofs).toHaveLength(1)
      expect(proofs[0]).toMatchObject({ party: key.owner, order: ask.id, side: 'ask', quantity: 10, committed: 20 })
    }
    // Bob is told his agreement turned void, and why; his node refuses to run a job on it.
    await waitFor(
      () => bobEvents.some((event) => event.type === 'market.agreementVoided'),
      "Bob's node telling him the agreement is void",
    )
    const voided = bobEvents.find((event) => event.type === 'market.agreementVoided')!.data
    expect(voided).toMatchObject({ id: bobTake.id, role: 'buyer', status: 'void', voidReason: 'ask-overfilled' })
    expect(voided.voidExplanation).toContain('confirmed more than its ask')
    // Every honest node blocks Mallory on its own (the default setting), and lists why.
    await waitFor(async () => {
      for (const node of honest) {
        const { peers } = (await node.api.call('members.blocked', {})) as {
          peers: { peerId: string; overCommitted: number }[]
        }
        if (!peers.some((peer) => peer.peerId === key.owner && peer.overCommitted === 1)) return false
      }
      return true
    }, 'Mallory blocked on every honest node')
  })
})
