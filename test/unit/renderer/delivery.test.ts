// The Deals page's pure parts: PGM decoding for the Mandelbrot output, the tar of a site folder (the
// seller's own unpacker reads it back), deal states from jobs and receipts, and the lending form.
import { describe, expect, it } from 'vitest'
import { defaultBundleLimits, unpackBundle } from '../../../src/main/core/delivery/site-bundle'
import { reputationText } from '../../../src/renderer/src/delivery/reputation-format'
import { defaultDeliveryPolicy, type JobView, type ReputationView } from '../../../src/shared/api/delivery'
import type { AgreementView } from '../../../src/shared/api/market'
import type { Receipt } from '../../../src/shared/delivery/receipt'
import { dealProgress, deliveredText } from '../../../src/renderer/src/delivery/deal-state'
import { decodePgm, greymapRgba, isPgm } from '../../../src/renderer/src/delivery/pgm'
import { policyForm, policyOfForm } from '../../../src/renderer/src/delivery/policy-fields'
import { base64OfBytes, bytesOfBase64, pathInsideFolder, tarOfEntries } from '../../../src/renderer/src/delivery/tar'

const encoder = new TextEncoder()

describe('PGM decoding', () => {
  it('decodes a binary greymap with a comment, scaling to 0-255', () => {
    const bytes = new Uint8Array([...encoder.encode('P5\n# made by a test\n3 2\n15\n'), 0, 15, 5, 10, 15, 0])
    expect(isPgm(bytes)).toBe(true)
    const image = decodePgm(bytes)
    expect(image).toMatchObject({ width: 3, height: 2 })
    expect([...image.pixels]).toEqual([0, 255, 85, 170, 255, 0])
    expect([...greymapRgba(image).slice(0, 8)]).toEqual([0, 0, 0, 255, 255, 255, 255, 255])
  })

  it('decodes plain P2 and 16-bit greymaps', () => {
    expect([...decodePgm(encoder.encode('P2 2 1 255 7 200')).pixels]).toEqual([7, 200])
    expect([...decodePgm(new Uint8Array([...encoder.encode('P5 1 1 65535 '), 0xff, 0xff])).pixels]).toEqual([255])
  })

  it('refuses text, cut-short images and absurd sizes with a reason', () => {
    expect(isPgm(encoder.encode('pi=3.14'))).toBe(false)
    expect(() => decodePgm(new Uint8Array([...encoder.encode('P5 4 4 255\n'), 1, 2]))).toThrow(/cut short/)
    expect(() => decodePgm(encoder.encode('P5 100000 100000 255\n'))).toThrow(/not drawn/)
  })
})

describe('the tar of a site folder', () => {
  it("is read back by the seller's unpacker, file for file", () => {
    const files = [
      { path: pathInsideFolder('site/index.html'), bytes: encoder.encode('<html>home</html>') },
      { path: pathInsideFolder('site/css/site.css'), bytes: encoder.encode('body{}') },
      { path: `${'deep/'.repeat(25)}page.html`, bytes: new Uint8Array(1000).fill(65) },
    ]
    const unpacked = unpackBundle(tarOfEntries(files, 1_700_000_000), defaultBundleLimits)
    for (const file of files)
      expect(Buffer.from(unpacked.get(file.path)!).toString()).toBe(Buffer.from(file.bytes).toString())
    expect(unpacked.size).toBe(3)
  })

  it('refuses paths that leave the folder', () => {
    expect(() => tarOfEntries([{ path: '../x.html', bytes: new Uint8Array() }])).toThrow(/not a relative path/)
    expect(() => tarOfEntries([{ path: '/etc/x', bytes: new Uint8Array() }])).toThrow(/not a relative path/)
  })

  it('base64 round-trips bundles larger than one chunk', () => {
    const bytes = new Uint8Array(100_000).map((_, index) => index % 251)
    expect(bytesOfBase64(base64OfBytes(bytes))).toEqual(bytes)
    expect(base64OfBytes(bytes)).toBe(Buffer.from(bytes).toString('base64'))
  })
})

describe('deal states from real data', () => {
  const agreement: AgreementView = {
    id: 'a1',
    bid: 'b',
    ask: 'k',
    buyer: 'B',
    seller: 'S',
    unit: 'flop',
    quantity: 2,
    price: 10,
    total: '20',
    agreedAt: 1,
    role: 'buyer',
    status: 'binding',
    voidReason: null,
    voidExplanation: null,
  }
  const receipt = (fields: Partial<Receipt>): Receipt => ({
    kind: 'receipt',
    owner: 'S',
    agreement: 'a1',
    buyer: 'B',
    unit: 'flop',
    job: 'j',
    seq: 0,
    status: 'completed',
    delivered: 0,
    agreementDelivered: 0,
    issuedAt: 5,
    ...fields,
  })
  const job = (state: JobView['state']): JobView => ({
    job: 'j9',
    agreement: 'a1',
    role: 'buyer',
    peer: 'S',
    name: 'pi',
    state,
    gflopBudget: 1,
    gflopDelivered: 0,
    cpuMs: 0,
    submittedAt: 1,
    endedAt: null,
    reason: null,
  })

  it('is confirmed before anything is delivered, delivering while a job runs, done at the quantity', () => {
    expect(dealProgress(agreement, [], [], [])).toEqual({ state: 'confirmed', delivered: 0, total: 2000, reason: null })
    expect(dealProgress(agreement, [job('running')], [], []).state).toBe('delivering')
    expect(dealProgress(agreement, [], [], [receipt({ agreementDelivered: 700 })])).toMatchObject({
      state: 'delivering',
      delivered: 700,
    })
    expect(dealProgress(agreement, [], [], [receipt({ agreementDelivered: 2000 })]).state).toBe('done')
  })

  it('is failed when the latest receipt says so, and ignores receipts not signed by the seller', () => {
    const failed = receipt({ status: 'stopped', reason: 'CPU time limit', issuedAt: 9, agreementDelivered: 100 })
    expect(dealProgress(agreement, [], [], [receipt({ agreementDelivered: 100 }), failed])).toMatchObject({
      state: 'failed',
      reason: 'CPU time limit',
      delivered: 100,
    })
    expect(dealProgress(agreement, [], [], [receipt({ owner: 'B', agreementDelivered: 2000 })]).state).toBe('confirmed')
    expect(deliveredText('flop', 1250, 2000)).toBe('1.250 of 2 GFLOP')
    expect(deliveredText('pageview', 4, 10)).toBe('4 of 10 views')
  })

  it("stays open, not failed, when the seller's policy refused the latest job for now, and says why and until when", () => {
    const later = receipt({
      status: 'refused',
      refusedFor: 'policy',
      lendsAgainAt: 1_800_000_000_000,
      issuedAt: 9,
      agreementDelivered: 100,
      reason:
        'the seller lends only from 9:00 to 17:00 (its local time); it runs jobs again from 2027-01-15T08:00:00.000Z; the agreement stays open',
    })
    expect(dealProgress(agreement, [], [], [receipt({ agreementDelivered: 100 }), later])).toEqual({
      state: 'delivering',
      delivered: 100,
      total: 2000,
      reason:
        'Waiting for the seller: the seller lends only from 9:00 to 17:00 (its local time); it runs jobs again from 2027-01-15T08:00:00.000Z; the agreement stays open',
    })
    expect(dealProgress(agreement, [], [], [{ ...later, agreementDelivered: 0 }]).state).toBe('confirmed')
    // A refusal of the request itself (or an older receipt without refusedFor) still fails the deal.
    expect(
      dealProgress(
        agreement,
        [],
        [],
        [receipt({ status: 'refused', refusedFor: 'request', reason: 'the module is refused', issuedAt: 9 })],
      ).state,
    ).toBe('failed')
  })

  it("says in a seller's reputation how many orders it was proven to over-commit", () => {
    const reputation: ReputationView = {
      peer: 'S',
      agreementsAsSeller: 2,
      agreedGflop: 20,
      deliveredGflop: 5,
      agreedViews: 0,
      deliveredViews: 0,
      agreedValue: '200',
      deliveredValue: '50',
      deliveryRatio: 0.25,
      jobsCompleted: 1,
      jobsFailed: 0,
      jobsStopped: 0,
      refusals: 0,
      overCommitted: 0,
      disputes: 0,
    }
    expect(reputationText(reputation)).toBe('25% of agreed value (5.000 of 20 GFLOP)')
    expect(reputationText({ ...reputation, overCommitted: 2 })).toBe(
      '25% of agreed value (5.000 of 20 GFLOP); over-committed 2 orders',
    )
    expect(reputationText({ ...reputation, disputes: 1 })).toBe(
      '25% of agreed value (5.000 of 20 GFLOP); 1 result disputed by a check on another seller',
    )
  })

  it('is void, with the reason and nothing delivered, when the agreement does not bind', () => {
    const voided: AgreementView = {
      ...agreement,
      status: 'void',
      voidReason: 'ask-overfilled',
      voidExplanation:
        'The seller confirmed more than its ask holds; earlier confirms used it up, so this one binds nothing.',
    }
    expect(dealProgress(voided, [], [], [receipt({ agreementDelivered: 2000 })])).toEqual({
      state: 'void',
      delivered: 0,
      total: 2000,
      reason: 'The seller confirmed more than its ask holds; earlier confirms used it up, so this one binds nothing.',
    })
  })
})

describe('the lending policy form', () => {
  it('round-trips the policy, in GB and hours', () => {
    const policy = { ...defaultDeliveryPolicy, hours: { start: 22, end: 6 }, maxMemoryMb: 2048, maxCores: 3 }
    const form = policyForm(policy)
    expect(form).toMatchObject({ limitHours: true, startHour: '22', endHour: '6', maxMemoryGb: '2', maxCores: '3' })
    expect(policyOfForm(form)).toMatchObject({ hours: { start: 22, end: 6 }, maxMemoryMb: 2048, maxCores: 3 })
    expect(policyOfForm({ ...form, limitHours: false }).hours).toBeNull()
  })
})
