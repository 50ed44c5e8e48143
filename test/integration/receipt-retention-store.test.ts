// The store on disk shrinks as receipts pass the market's retention (src/shared/delivery/retention.ts):
// a receipt ledger on a level store in a temp directory, half its receipts signed 9 days before the
// others; a node that starts once the older half is past the retention drops them at its start, and its
// clean stop's compaction (Store.compact) takes them off the disk. Prints the sizes.
import { afterEach, expect, it } from 'vitest'
import { receiptLedger } from '../../src/main/core/delivery/receipt-ledger'
import { openStore } from '../../src/main/core/store'
import { encodeSignedReceipt } from '../../src/shared/delivery/receipt'
import { defaultReceiptRetentionMs } from '../../src/shared/delivery/retention'
import { disputeAgreements, honest, jobReceipt, verifier } from '../helpers/dispute-parties'
import { makeTempDir, removeDir, storeBytes } from '../helpers/nodes'
import { recordingLogger } from '../helpers/recording-logger'

const day = 86_400_000
const t0 = 1_800_000_000_000
const count = 1_000
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function ledgerIn(dir: string, now: number) {
  const store = await openStore({ dataDir: dir, inMemory: false })
  const ledger = receiptLedger({ maxPerAgreement: count })({
    store,
    verifier,
    agreement: (id) => {
      const parties = disputeAgreements.get(id)
      return parties && { ...parties, unit: 'flop' as const }
    },
    emit: () => undefined,
    logger: recordingLogger().logger,
    now: () => now,
  })
  await ledger.start()
  return {
    ledger,
    /** A clean stop: the ledger, then the store compacted and closed, as a node stops. */
    stop: async () => {
      await ledger.stop()
      await store.compact()
      await store.close()
    },
  }
}

it('drops the receipts past the retention from the disk at the next start and stop', async () => {
  const dir = await makeTempDir()
  dirs.push(dir)
  const envelopes = Array.from({ length: count }, (_, index) =>
    encodeSignedReceipt(jobReceipt(honest, t0 + (index < count / 2 ? 0 : 9 * day) + index, { job: `job-${index}` })),
  )
  const first = await ledgerIn(dir, t0 + 10 * day)
  expect(await first.ledger.ingest(envelopes, 'peer-1')).toEqual({ accepted: count, rejected: 0 })
  await first.stop()
  const before = await storeBytes(dir)

  // A day past the older half's retention, within the newer half's.
  const second = await ledgerIn(dir, t0 + defaultReceiptRetentionMs + day)
  expect(second.ledger.all()).toHaveLength(count / 2)
  await second.stop()
  const after = await storeBytes(dir)
  console.log(
    `[receipt-retention-store] ${count} receipts: ${Math.round(before / 1024)} KiB on disk; ` +
      `half past the retention: ${Math.round(after / 1024)} KiB`,
  )
  // The receipts are nearly all the store holds: half of them gone, the disk holds little more than half.
  expect(after).toBeLessThan(before * 0.6)
})
