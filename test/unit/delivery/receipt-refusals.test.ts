// The receipts sync's memory of what this node refused (receipt-refusals.ts): a refused receipt is in
// the set the sync reconciles (so it is not fetched again) until its hold ends; a forged copy is
// refused from its sender only; the memory is bounded, and forgetting only costs a fetch.
import { describe, expect, it } from 'vitest'
import { ReceiptRefusals, type RefusalConditions } from '../../../src/main/core/delivery/receipt-refusals'
import { factKey } from '../../../src/main/core/market/set-fingerprint'
import { createNodeFactSigner, nodeSha256 } from '../../../src/main/core/market-crypto'
import { signReceipt } from '../../../src/shared/delivery/receipt'

const seller = createNodeFactSigner(new Uint8Array(32).fill(1))

/** Distinct receipt ids (the sync's keys are the digests inside them). */
function ids(count: number): string[] {
  return Array.from(
    { length: count },
    (_, seq) =>
      signReceipt(
        {
          kind: 'receipt',
          owner: seller.owner,
          agreement: 'a1',
          buyer: seller.owner,
          unit: 'pageview',
          job: 'site-1',
          seq,
          status: 'serving',
          delivered: seq,
          agreementDelivered: seq,
          issuedAt: 1_800_000_000_000,
        },
        seller,
        nodeSha256,
      ).id,
  )
}

function world(): RefusalConditions & { time: number; known: Set<string>; blocked: Set<string> } {
  const state = {
    time: 1_000_000,
    known: new Set<string>(),
    blocked: new Set<string>(),
    agreementKnown: (agreement: string) => state.known.has(agreement),
    isBlocked: (peer: string) => state.blocked.has(peer),
    now: () => state.time,
  }
  return state
}

describe("the receipts sync's refusals", () => {
  it('leaves a receipt whose body is refused out of every later fetch, from any peer, and a held one too', () => {
    const [held, refused] = ids(2)
    const refusals = new ReceiptRefusals(world())
    refusals.held(held!)
    refusals.refuse(refused!, 'peer-1', { kind: 'final' })
    for (const peer of ['peer-1', 'peer-2']) {
      const basis = refusals.basisFor(peer)
      expect(basis.size).toBe(2)
      expect(basis.hasKey(factKey(refused!))).toBe(true)
    }
  })

  it('waits for the agreement, or for a back-off that doubles with each refusal, before fetching again', () => {
    const [id] = ids(1)
    const conditions = world()
    const refusals = new ReceiptRefusals(conditions, { firstRetryMs: 1000, maxRetryMs: 3000 })
    const waiting = (): boolean => refusals.basisFor('p').hasKey(factKey(id!))
    refusals.refuse(id!, 'p', { kind: 'agreement', agreement: 'a9' })
    conditions.time += 999
    expect(waiting()).toBe(true)
    conditions.time += 1
    expect(waiting()).toBe(false)
    // Fetched again and refused again: 2 s this time, then 3 s (the most), and 3 s after that.
    for (const delay of [2000, 3000, 3000]) {
      refusals.refuse(id!, 'p', { kind: 'agreement', agreement: 'a9' })
      conditions.time += delay - 1
      expect(waiting()).toBe(true)
      conditions.time += 1
      expect(waiting()).toBe(false)
    }
    // The agreement arrives: at once, whatever the back-off.
    refusals.refuse(id!, 'p', { kind: 'agreement', agreement: 'a9' })
    expect(waiting()).toBe(true)
    conditions.known.add('a9')
    expect(waiting()).toBe(false)
  })

  it('waits for the time a future receipt is due, and for its owner to be unblocked', () => {
    const [future, blocked] = ids(2)
    const conditions = world()
    conditions.blocked.add('mallory')
    const refusals = new ReceiptRefusals(conditions)
    refusals.refuse(future!, 'p', { kind: 'time', at: conditions.time + 5000 })
    refusals.refuse(blocked!, 'p', { kind: 'blocked', owner: 'mallory' })
    expect(refusals.basisFor('p').size).toBe(2)
    conditions.time += 5000
    expect(refusals.basisFor('p').hasKey(factKey(future!))).toBe(false)
    expect(refusals.basisFor('p').hasKey(factKey(blocked!))).toBe(true)
    conditions.blocked.delete('mallory')
    expect(refusals.basisFor('p').size).toBe(0)
  })

  it('refuses a forged copy from the peer that sent it only', () => {
    const [id, held] = ids(2)
    const refusals = new ReceiptRefusals(world())
    refusals.held(held!)
    refusals.refuse(id!, 'forger', { kind: 'copy' })
    expect(refusals.basisFor('forger').hasKey(factKey(id!))).toBe(true)
    expect(refusals.basisFor('forger').hasKey(factKey(held!))).toBe(true)
    expect(refusals.basisFor('honest').hasKey(factKey(id!))).toBe(false)
    // Once held (the genuine receipt came from another peer), the shared set has it too.
    refusals.held(id!)
    expect(refusals.basisFor('honest').hasKey(factKey(id!))).toBe(true)
  })

  it('forgets the oldest refusals past its bounds, which costs only a fetch', () => {
    const receipts = ids(6)
    const refusals = new ReceiptRefusals(world(), { maxRemembered: 3, maxPeers: 2, maxCopiesPerPeer: 2 })
    for (const id of receipts) refusals.refuse(id, 'p', { kind: 'final' })
    const basis = refusals.basisFor('p')
    expect(basis.size).toBe(3)
    expect(receipts.map((id) => basis.hasKey(factKey(id)))).toEqual([false, false, false, true, true, true])

    const copies = new ReceiptRefusals(world(), { maxPeers: 2, maxCopiesPerPeer: 2 })
    for (const id of receipts.slice(0, 3)) copies.refuse(id, 'p1', { kind: 'copy' })
    expect(copies.basisFor('p1').size).toBe(2)
    copies.refuse(receipts[3]!, 'p2', { kind: 'copy' })
    copies.refuse(receipts[4]!, 'p3', { kind: 'copy' })
    // Three peers, two remembered: the first one's copies are forgotten.
    expect(copies.basisFor('p1').size).toBe(0)
    expect(copies.basisFor('p2').size).toBe(1)
    expect(copies.basisFor('p3').size).toBe(1)
  })

  it('ends a refusal when the receipt is held after all (as seller, buyer, or by gossip)', () => {
    const [id] = ids(1)
    const conditions = world()
    const refusals = new ReceiptRefusals(conditions, { maxRemembered: 1 })
    refusals.refuse(id!, 'p', { kind: 'agreement', agreement: 'a9' })
    refusals.held(id!)
    conditions.known.add('a9')
    // Held: in the set for good, whatever becomes of the refusal.
    expect(refusals.basisFor('p').hasKey(factKey(id!))).toBe(true)
    refusals.refuse(ids(2)[1]!, 'p', { kind: 'final' })
    expect(refusals.basisFor('p').hasKey(factKey(id!))).toBe(true)
  })
})
