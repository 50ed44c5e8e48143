// What the receipts sync may store: the receipt ledger's ingest of fetched envelopes. Forged or
// malformed envelopes are counted as rejected (the peer misbehaves) and never stored; receipts of an
// unknown agreement wait for a later round; older receipts of a site are kept (every node must reach
// the same set); kept receipts are in the store and in the fingerprint the sync compares; refused ones
// in the set the sync pulls against until their refusal ends (receipt-refusals.ts).
import { afterEach, describe, expect, it } from 'vitest'
import { receiptLedger, type ReceiptLedger } from '../../../src/main/core/delivery/receipt-ledger'
import { ReceiptIntake } from '../../../src/main/core/delivery/receipt-intake'
import { createNodeFactSigner, createNodeFactVerifier } from '../../../src/main/core/market-crypto'
import { openStore, type Store } from '../../../src/main/core/store'
import { recordingLogger } from '../../helpers/recording-logger'
import { encodeSignedReceipt, signReceipt, type Receipt } from '../../../src/shared/delivery/receipt'

const seller = createNodeFactSigner(new Uint8Array(32).fill(1))
const buyer = createNodeFactSigner(new Uint8Array(32).fill(2))
const mallory = createNodeFactSigner(new Uint8Array(32).fill(3))
const verifier = createNodeFactVerifier()
const now = 1_800_000_000_000
const known = { a1: { seller: seller.owner, buyer: buyer.owner, unit: 'pageview' as const } }

function envelope(fields: Partial<Receipt> = {}, signer = seller): Uint8Array {
  const receipt: Receipt = {
    kind: 'receipt',
    owner: signer.owner,
    agreement: 'a1',
    buyer: buyer.owner,
    unit: 'pageview',
    job: 'site-1',
    seq: 1,
    status: 'serving',
    delivered: 1,
    agreementDelivered: 1,
    issuedAt: now - 1000,
    ...fields,
  }
  return encodeSignedReceipt(signReceipt(receipt, signer))
}

let store: Store | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
})

async function ledger(init = {}, isBlocked?: (peer: string) => boolean): Promise<ReceiptLedger> {
  store ??= await openStore({ dataDir: '/nonexistent', inMemory: true })
  const made = receiptLedger(init)({
    store,
    verifier,
    agreement: (id) => known[id as 'a1'],
    emit: () => undefined,
    logger: recordingLogger().logger,
    now: () => now,
    ...(isBlocked ? { isBlocked } : {}),
  })
  await made.start()
  return made
}

describe('receipts fetched by the receipts sync', () => {
  it('keeps valid receipts, older site receipts included, persists them and adds them to the fingerprint', async () => {
    const first = await ledger()
    const newer = envelope({ seq: 3, delivered: 3, agreementDelivered: 3 })
    const older = envelope({ seq: 2, delivered: 2, agreementDelivered: 2 })
    expect(await first.ingest([newer, older], 'peer-1')).toEqual({ accepted: 2, rejected: 0 })
    expect(first.fingerprint.size).toBe(2)
    // The same envelopes again: nothing new.
    expect(await first.ingest([newer], 'peer-1')).toEqual({ accepted: 0, rejected: 0 })
    await first.stop()
    const reopened = await ledger()
    expect(reopened.all()).toHaveLength(2)
    expect(Buffer.from(reopened.fingerprint.root()).toString('hex')).toBe(
      Buffer.from(first.fingerprint.root()).toString('hex'),
    )
    const kept = reopened.all()[0]!
    expect(reopened.envelope(kept.id)).toEqual(encodeSignedReceipt(kept))
  })

  it('counts forged, malformed and foreign envelopes as rejected and stores none of them', async () => {
    const made = await ledger()
    const forged = envelope()
    forged[forged.length - 1]! ^= 0xff
    const result = await made.ingest(
      [forged, Uint8Array.of(1, 2, 3), envelope({}, mallory), envelope({ buyer: mallory.owner })],
      'peer-1',
    )
    expect(result).toEqual({ accepted: 0, rejected: 4 })
    expect(made.all()).toEqual([])
    expect(made.fingerprint.size).toBe(0)
  })

  it('leaves out, without blame, a receipt of an agreement not known yet and one from the future', async () => {
    const made = await ledger()
    expect(
      await made.ingest([envelope({ agreement: 'a2' }), envelope({ issuedAt: now + 3_600_000 })], 'peer-1'),
    ).toEqual({ accepted: 0, rejected: 0 })
    expect(made.all()).toEqual([])
  })

  it('puts what it refused in the set the sync pulls against, so that it is not fetched again, and not in the set it serves', async () => {
    const made = await ledger({ maxPerAgreement: 1 })
    const kept = envelope({ seq: 1 })
    const overCap = envelope({ seq: 2 })
    const unknownAgreement = envelope({ agreement: 'a2' })
    const foreign = envelope({}, mallory)
    expect(await made.ingest([kept, overCap, unknownAgreement, foreign], 'peer-1')).toEqual({
      accepted: 1,
      rejected: 1,
    })
    expect(made.fingerprint.size).toBe(1)
    expect(made.fetchBasis('peer-1').size).toBe(4)
    expect(made.fetchBasis('peer-2').size).toBe(4)
  })

  it('does not keep a receipt signed by a blocked peer, and fetches it again once the peer is unblocked', async () => {
    const blocked = new Set([seller.owner])
    const made = await ledger({}, (peer) => blocked.has(peer))
    const receipt = envelope()
    expect(await made.ingest([receipt], 'peer-1')).toEqual({ accepted: 0, rejected: 0 })
    expect(made.all()).toEqual([])
    expect(made.fetchBasis('peer-1').size).toBe(1)
    blocked.clear()
    expect(made.fetchBasis('peer-1').size).toBe(0)
    expect(await made.ingest([receipt], 'peer-1')).toEqual({ accepted: 1, rejected: 0 })
  })

  it('keeps at most maxPerAgreement receipts of one agreement', async () => {
    const made = await ledger({ maxPerAgreement: 2 })
    const result = await made.ingest(
      [1, 2, 3].map((seq) => envelope({ seq, delivered: seq, agreementDelivered: seq })),
      'peer-1',
    )
    expect(result).toEqual({ accepted: 2, rejected: 0 })
  })

  it('the gossip path still ignores a stale site receipt and rejects a future one, which the sync path treats as shown above', () => {
    const intake = new ReceiptIntake(verifier, {
      agreement: (id) => known[id as 'a1'],
      has: () => false,
      latestSeq: () => 3,
    })
    expect(intake.check(envelope({ seq: 2 }), { from: 'p', now }).outcome).toBe('ignore')
    expect(intake.check(envelope({ seq: 2 }), { from: 'p', now, via: 'sync' }).outcome).toBe('accept')
    expect(intake.check(envelope({ seq: 4, issuedAt: now + 3_600_000 }), { from: 'p', now }).outcome).toBe('reject')
    expect(intake.check(envelope({ seq: 4, issuedAt: now + 3_600_000 }), { from: 'p', now, via: 'sync' }).outcome).toBe(
      'ignore',
    )
  })
})
