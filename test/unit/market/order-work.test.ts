// The price of an order: a nonce that gives the order's id a number of leading zero bits.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeSha256 } from '../../../src/main/core/market-crypto'
import {
  decodeSignedFact,
  encodeSignedFact,
  factIdOf,
  firstNonce,
  leadingZeroBits,
  mineOrder,
  parseFact,
  signFact,
  workOfId,
  type OrderFact,
} from '../../../src/shared/market'
import { createNodeFactVerifier } from '../../../src/main/core/market-crypto'
import { parseServeArgs } from '../../../src/main/core/commands/serve'
import { FactIntake } from '../../../src/main/core/market/fact-intake'
import { bid, ask, day0, emptyIntakeComponents, peer, signerOf } from './helpers'

describe('order work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0)
    expect(leadingZeroBits(new Uint8Array([0x01, 0xff]))).toBe(7)
    expect(leadingZeroBits(new Uint8Array([0x00, 0x00, 0x10]))).toBe(19)
    expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16)
  })

  it('mines a nonce that gives the id the bits asked for, in a valid, canonical order that signs and decodes', () => {
    const order = { ...bid({ owner: peer(1), counterparties: { peers: [peer(2)] }, range: 1200 }).fact }
    const mined = mineOrder(order, 12, nodeSha256)
    expect(workOfId(mined.id)).toBeGreaterThanOrEqual(12)
    expect(mined.order.nonce).toBeGreaterThanOrEqual(firstNonce)
    expect(factIdOf(mined.order, nodeSha256)).toBe(mined.id)
    expect(parseFact(JSON.parse(JSON.stringify(mined.order)))).toEqual(mined.order)
    const signed = signFact(mined.order, signerOf(1), { sha256: nodeSha256 })
    expect(signed.id).toBe(mined.id)
    expect(decodeSignedFact(encodeSignedFact(signed), createNodeFactVerifier()).fact).toEqual(mined.order)
  })

  it('mines every kind of order at any difficulty up to 10 bits, replacing a nonce it already had', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('bid', 'ask'),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
        (side, bits, quantity, nonce) => {
          const base =
            side === 'bid'
              ? bid({ quantity, owner: peer(3) }).fact
              : ask({ quantity, owner: peer(4), capabilities: { storageGb: 3 } }).fact
          const order: OrderFact = nonce === undefined ? base : { ...base, nonce }
          const mined = mineOrder(order, bits, nodeSha256)
          expect(workOfId(mined.id)).toBeGreaterThanOrEqual(bits)
          expect(factIdOf(mined.order, nodeSha256)).toBe(mined.id)
          if (bits === 0) expect(mined.order.nonce).toBeUndefined()
        },
      ),
      { numRuns: 60 },
    )
  })

  it('is asked of every order by the intake, gossip and sync alike, and of no other fact', () => {
    const intake = new FactIntake(emptyIntakeComponents(), { orderWorkBits: 10 })
    const now = day0 + 1000
    const order = { ...bid({ owner: peer(1) }).fact, createdAt: now }
    const envelope = (fact: OrderFact) => encodeSignedFact(signFact(fact, signerOf(1), { sha256: nodeSha256 }))
    let unmined = order
    // An order whose id happens to have the bits is as good as mined: find one that has not.
    for (let quantity = 1; workOfId(factIdOf(unmined, nodeSha256)) >= 10; quantity++) unmined = { ...order, quantity }
    for (const via of ['gossip', 'sync'] as const) {
      expect(
        intake.check(envelope(unmined), {
          from: 'peer',
          via,
          now,
          ...(via === 'gossip' ? { topic: '/cyclex/orders/1' } : {}),
        }),
      ).toMatchObject({
        outcome: 'reject',
        code: 'ERR_ORDER_WORK',
        reason: expect.stringMatching(/this market asks 10/),
      })
      expect(
        intake.check(envelope(mineOrder(unmined, 10, nodeSha256).order), {
          from: 'peer',
          via,
          now,
          ...(via === 'gossip' ? { topic: '/cyclex/orders/1' } : {}),
        }),
      ).toMatchObject({ outcome: 'accept' })
    }
    const refresh = encodeSignedFact(
      signFact({ kind: 'refresh', owner: peer(1), createdAt: now }, signerOf(1), { sha256: nodeSha256 }),
    )
    expect(intake.check(refresh, { from: 'peer', via: 'sync', now })).toMatchObject({ outcome: 'accept' })
  })
})

describe('cyclex serve --order-work-bits', () => {
  it('sets the market parameter, and refuses what is not a whole number from 0 to 32', () => {
    expect(parseServeArgs([])).toMatchObject({ orderWorkBits: undefined })
    expect(parseServeArgs(['--order-work-bits', '0'])).toMatchObject({ orderWorkBits: 0 })
    expect(parseServeArgs(['--order-work-bits', '20'])).toMatchObject({ orderWorkBits: 20 })
    for (const bad of ['33', '-1', '1.5', 'many'])
      expect(() => parseServeArgs([`--order-work-bits=${bad}`])).toThrow(
        /--order-work-bits must be a whole number from 0 to 32/,
      )
  })
})
