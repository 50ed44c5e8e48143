// Delivery between two real nodes on 127.0.0.1: they agree on GFLOP through the market, the buyer
// runs jobs on the seller and gets outputs and signed receipts; hostile jobs are stopped or refused
// and the seller keeps serving; then page views of a site bundle, counted to the limit and then 410.
import { deflateRawSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jobProtocol } from '../../src/main/core/delivery/delivery-service'
import { JobChannel } from '../../src/main/core/delivery/job-channel'
import { liveJobProcessCount } from '../../src/main/core/delivery/job-runner'
import type { Host } from '../../src/main/core/libp2p-host'
import { createNodeFactVerifier } from '../../src/main/core/market-crypto'
import type { CyclexNode } from '../../src/main/core/node'
import type { JobQuote, JobResult, JobView, SiteView } from '../../src/shared/api/delivery'
import type { AgreementView } from '../../src/shared/api/market'
import { signedReceiptFromJson, type SignedReceiptJson } from '../../src/shared/delivery/receipt'
import { compileWat, tarOf } from '../../scripts/build-samples'
import { hostileModule, malformedModule, type HostileName } from '../unit/delivery/fixtures/hostile'
import {
  connectAndMesh,
  NodePool,
  receiptsOf,
  submitSampleSite,
  tradeToAgreement,
  viewPage,
} from '../helpers/delivery-network'
import { waitFor } from '../helpers/nodes'

const verifier = createNodeFactVerifier()
const nodes = new NodePool()
let seller: CyclexNode
let buyer: CyclexNode

function text(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8')
}

function verified(receipt: SignedReceiptJson | null): SignedReceiptJson['receipt'] {
  expect(receipt).not.toBeNull()
  return signedReceiptFromJson(receipt, verifier).receipt
}

beforeAll(async () => {
  seller = await nodes.start()
  buyer = await nodes.start()
  await connectAndMesh(buyer, seller)
  // The seller meters by its benchmark profile; this machine is shared, so idleness is not required here.
  await seller.api.call('benchmark.start', { quick: true, maxWorkers: 1 })
  await waitFor(
    async () => (await seller.api.call('benchmark.profile', {})) !== null,
    "the seller's benchmark profile",
    30_000,
  )
  // 64 MiB for the one job at a time: half of it for the module's memory.
  await seller.api.call('delivery.setPolicy', { requireIdle: false, receiptEveryViews: 2, maxMemoryMb: 64 })
}, 60_000)

afterAll(async () => {
  await nodes.stopAll()
  expect(liveJobProcessCount()).toBe(0)
})

describe('delivery of GFLOP', () => {
  let agreement: AgreementView
  const runPi = async (): Promise<JobResult> =>
    (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      args: ['200000'],
      gflopBudget: 1,
    })) as JobResult

  beforeAll(async () => {
    agreement = await tradeToAgreement(seller, buyer, 'flop', 20)
  }, 30_000)

  it('runs the pi sample on the seller and answers the right result with a signed receipt that verifies', async () => {
    const progress: unknown[] = []
    const unsubscribe = buyer.api.subscribe((event) => event.type === 'delivery.progress' && progress.push(event.data))
    const result = await runPi()
    unsubscribe()
    expect(result).toMatchObject({ state: 'completed', exitCode: 0 })
    const estimate = Number(/^pi=(\d\.\d{6}) samples=200000 hits=\d+\n$/.exec(text(result.stdout))?.[1])
    expect(Math.abs(estimate - Math.PI)).toBeLessThan(0.01)
    const receipt = verified(result.receipt)
    expect(receipt).toMatchObject({
      owner: seller.peerId,
      buyer: buyer.peerId,
      agreement: agreement.id,
      unit: 'flop',
      status: 'completed',
      exitCode: 0,
      flopCount: 1_000_000,
    })
    expect(receipt.cpuMicros).toBeGreaterThan(0)
    expect(receipt.delivered).toBeLessThanOrEqual(1000)
    expect(progress.length).toBeGreaterThan(0)
    // Both sides keep it.
    expect((await receiptsOf(seller, agreement.id)).map((each) => each.id)).toContain(result.receipt!.id)
  })

  it('says before running how a job is charged, and charges what was agreed: the counted FLOP where the seller can count them', async () => {
    const quote = (await buyer.api.call('delivery.quoteJob', { agreement: agreement.id, sample: 'matmul' })) as JobQuote
    expect(quote).toMatchObject({ metering: 'counted', reason: null })
    expect(quote.rateMflops).toBeGreaterThan(0)
    const result = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'matmul',
      args: ['100'],
      gflopBudget: 1,
      metering: 'counted',
    })) as JobResult
    expect(result.state).toBe('completed')
    // 2 n^3 = 2,000,000 FLOP: charged 2 MFLOP, whatever the CPU time was.
    expect(verified(result.receipt)).toMatchObject({
      status: 'completed',
      metering: 'counted',
      flopCount: 2_000_000,
      delivered: 2,
    })
  })

  it('quotes CPU time for a module it cannot count (SIMD), says why, and refuses to run it as counted', async () => {
    const simd = await compileWat(
      'simd',
      `(module (memory (export "memory") 1) (func (export "_start") (drop (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.splat (f32.const 2))))))`,
      '.',
    )
    const module = Buffer.from(simd).toString('base64')
    const quote = (await buyer.api.call('delivery.quoteJob', { agreement: agreement.id, module })) as JobQuote
    expect(quote).toMatchObject({ metering: 'cpu', reason: expect.stringMatching(/SIMD/) })
    const refused = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      module,
      gflopBudget: 1,
      metering: 'counted',
    })) as JobResult
    expect(refused.state).toBe('refused')
    expect(refused.reason).toMatch(
      /agreed to be charged by its counted FLOP, but this seller would charge this job by CPU time/,
    )
    const result = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      module,
      gflopBudget: 1,
      metering: 'cpu',
    })) as JobResult
    expect(result.state).toBe('completed')
    const receipt = verified(result.receipt)
    expect(receipt.metering).toBe('cpu')
    expect(receipt.flopCount).toBeUndefined()
  })

  /** Starts a long pi job and answers its id once it computes on the seller, and the buyer's pending result. */
  async function longJob(): Promise<{ job: string; result: Promise<JobResult> }> {
    const result = buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      args: ['2000000000'],
      gflopBudget: 5,
    }) as Promise<JobResult>
    let job = ''
    await waitFor(
      async () => {
        const { jobs } = (await seller.api.call('delivery.jobs', {})) as { jobs: JobView[] }
        const running = jobs.find(
          (each) => each.role === 'seller' && each.agreement === agreement.id && each.state === 'running',
        )
        job = running?.job ?? ''
        return (running?.cpuMs ?? 0) > 50
      },
      'the job to compute on the seller',
      20_000,
    )
    return { job, result }
  }

  async function jobsStoppedOfSeller(): Promise<number> {
    const { reputation } = (await buyer.api.call('delivery.ledger', {})) as {
      reputation: { peer: string; jobsStopped: number }[]
    }
    return reputation.find((each) => each.peer === seller.peerId)?.jobsStopped ?? 0
  }

  it('the buyer cancels a running job: the seller stops it at once, signs a stopped receipt saying so, and it does not count against the seller', async () => {
    const { job, result } = await longJob()
    const before = await jobsStoppedOfSeller()
    expect(await buyer.api.call('delivery.stopJob', { job })).toEqual({ job, role: 'buyer' })
    const done = await result
    expect(done).toMatchObject({ state: 'stopped', reason: 'cancelled by the buyer' })
    expect(verified(done.receipt)).toMatchObject({
      status: 'stopped',
      stoppedBy: 'buyer',
      reason: 'cancelled by the buyer',
    })
    expect(await jobsStoppedOfSeller()).toBe(before)
  }, 60_000)

  it('the seller stops a running job by hand: the buyer gets a stopped receipt saying so, and it counts against the seller', async () => {
    const { job, result } = await longJob()
    const before = await jobsStoppedOfSeller()
    expect(await seller.api.call('delivery.stopJob', { job })).toEqual({ job, role: 'seller' })
    const done = await result
    expect(done).toMatchObject({ state: 'stopped', reason: 'stopped by the seller' })
    expect(verified(done.receipt)).toMatchObject({ status: 'stopped', stoppedBy: 'seller' })
    expect(await jobsStoppedOfSeller()).toBe(before + 1)
    await expect(buyer.api.call('delivery.stopJob', { job })).rejects.toMatchObject({ code: 'ERR_VALIDATION' })
  }, 60_000)

  it('refuses a job whose budget is more than the agreement has left, with the reason', async () => {
    const result = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      gflopBudget: 25,
    })) as JobResult
    expect(result.state).toBe('refused')
    expect(result.reason).toMatch(/budget of 25 GFLOP is more than the .* GFLOP agreement .* has left/)
    expect(verified(result.receipt)).toMatchObject({ status: 'refused', delivered: 0 })
  })

  // The budget (GFLOP) sets the CPU limit: small for the endless loop, enough for the others to reach
  // what they test (the memory cap, a trap) before the time runs out on a loaded machine.
  const hostile: [HostileName | 'malformed', string, RegExp, number][] = [
    ['endlessLoop', 'stopped', /CPU time limit/, 0.05],
    // memory.grow returns -1 at the seller's cap (32 MiB here), and the module traps on it.
    ['memoryBomb', 'failed', /trapped: unreachable/, 1],
    ['trap', 'failed', /trapped: divide by zero/, 1],
    ['foreignImport', 'refused', /imports env\.system; a job may import only from wasi_snapshot_preview1/, 1],
    ['reachesOut', 'completed', /refused calls: path_open, proc_raise, sock_accept/, 1],
    ['malformed', 'refused', /module is refused/, 1],
  ]
  for (const [name, state, reason, gflopBudget] of hostile) {
    it(`${name}: ${state}, with the reason in the receipt, and a good job runs right after`, async () => {
      const module = name === 'malformed' ? malformedModule : await hostileModule(name)
      const result = (await buyer.api.call('delivery.submitJob', {
        agreement: agreement.id,
        module: Buffer.from(module).toString('base64'),
        gflopBudget,
      })) as JobResult
      expect(result.state).toBe(state)
      const receipt = verified(result.receipt)
      expect(receipt.status).toBe(state)
      expect(receipt.reason).toMatch(reason)
      expect((await runPi()).state).toBe('completed')
    })
  }
})

function zipOf(entries: { name: string; bytes: Uint8Array; deflate?: boolean }[]): Uint8Array {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name)
    const data = entry.deflate ? deflateRawSync(entry.bytes) : Buffer.from(entry.bytes)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(entry.deflate ? 8 : 0, 8)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(entry.bytes.length, 22)
    local.writeUInt16LE(name.length, 26)
    locals.push(local, name, data)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(entry.deflate ? 8 : 0, 10)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(entry.bytes.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += 30 + name.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

describe('delivery of page views', () => {
  it('refuses a zip bomb and a path-traversal bundle, then serves the sample site to its limit and answers 410', async () => {
    const agreement = await tradeToAgreement(seller, buyer, 'pageview', 5)
    const html = new TextEncoder().encode('<html></html>')
    const bomb = zipOf([
      { name: 'index.html', bytes: html },
      { name: 'big.html', bytes: new Uint8Array(50 * 2 ** 20), deflate: true },
    ])
    await expect(
      buyer.api.call('delivery.submitSite', { agreement: agreement.id, bundle: Buffer.from(bomb).toString('base64') }),
    ).rejects.toMatchObject({
      code: 'ERR_DELIVERY_REFUSED',
      message: expect.stringMatching(/zip bomb/),
    })
    const traversal = tarOf([
      { path: 'index.html', bytes: html },
      { path: '../../outside.html', bytes: html },
    ])
    await expect(
      buyer.api.call('delivery.submitSite', {
        agreement: agreement.id,
        bundle: Buffer.from(traversal).toString('base64'),
      }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/path traversal/),
    })
    const symlink = tarOf([
      { path: 'index.html', bytes: html },
      { path: 'passwd.html', bytes: new Uint8Array(), type: '2', linkTarget: '/etc/passwd' },
    ])
    await expect(
      buyer.api.call('delivery.submitSite', {
        agreement: agreement.id,
        bundle: Buffer.from(symlink).toString('base64'),
      }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/symbolic link/),
    })

    const { url, quantity } = await submitSampleSite(buyer, agreement.id)
    expect(quantity).toBe(5)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sites\/[0-9a-f]{16}\/$/)
    const statuses: number[] = []
    for (let view = 0; view < 5; view++) {
      // A stylesheet is not a page view.
      const style = await fetch(`${url}css/site.css`)
      statuses.push(style.status)
      await style.arrayBuffer()
      const page = await fetch(view % 2 === 0 ? url : `${url}about.html`)
      statuses.push(page.status)
      expect(page.headers.get('content-type')).toMatch(/text\/html/)
      await page.arrayBuffer()
    }
    expect(statuses).toEqual(new Array(10).fill(200))
    const gone = await fetch(url)
    expect(gone.status).toBe(410)
    await gone.arrayBuffer()
    await waitFor(
      async () => (await receiptsOf(seller, agreement.id)).some((each) => each.receipt.status === 'ended'),
      'the final receipt',
    )
    const served = (await receiptsOf(seller, agreement.id))
      .map((each) => verified(each))
      .filter((each) => each.status !== 'refused')
      .sort((a, b) => a.seq - b.seq)
    expect(served.map((each) => [each.status, each.delivered])).toEqual([
      ['serving', 2],
      ['serving', 4],
      ['ended', 5],
    ])
  }, 30_000)
})

describe('page views as they are served', () => {
  it("the buyer sees the seller's live count within seconds, and how often the seller signs receipts, long before a receipt comes", async () => {
    await seller.api.call('delivery.setPolicy', { receiptEveryViews: 100 })
    try {
      const agreement = await tradeToAgreement(seller, buyer, 'pageview', 500)
      const { url } = await submitSampleSite(buyer, agreement.id)
      for (let view = 0; view < 3; view++) await (await fetch(url)).arrayBuffer()
      const buyerSite = async (): Promise<SiteView | undefined> =>
        ((await buyer.api.call('delivery.jobs', {})) as { sites: SiteView[] }).sites.find(
          (site) => site.agreement === agreement.id && site.role === 'buyer',
        )
      await waitFor(async () => (await buyerSite())?.views === 3, 'the buyer to hear of 3 views', 15_000)
      expect(await buyerSite()).toMatchObject({ views: 3, quantity: 500, receiptEveryViews: 100, state: 'serving' })
      // No receipt yet: the count came from the seller's notices.
      expect((await receiptsOf(buyer, agreement.id)).filter((each) => each.receipt.status !== 'refused')).toEqual([])
    } finally {
      await seller.api.call('delivery.setPolicy', { receiptEveryViews: 2 })
    }
  }, 60_000)
})

describe('receipts gossiped and the ledger', () => {
  it("the buyer hears the seller's site receipts on the receipts topic, and both nodes compute the same reputation and mirrored balances", async () => {
    const agreement = await tradeToAgreement(seller, buyer, 'pageview', 3)
    const { url } = await submitSampleSite(buyer, agreement.id)
    await viewPage(url, 3)
    // Site receipts are signed on the seller as views are counted; the buyer has them only through gossip.
    const endedOn = async (node: CyclexNode): Promise<boolean> =>
      (await receiptsOf(node, agreement.id)).some((each) => each.receipt.status === 'ended')
    await waitFor(() => endedOn(buyer), 'the final site receipt to reach the buyer by gossip', 15_000)
    const receipts = await receiptsOf(buyer, agreement.id)
    expect(verified(receipts.find((each) => each.receipt.status === 'ended')!)).toMatchObject({
      owner: seller.peerId,
      delivered: 3,
      agreementDelivered: 3,
    })

    type Ledger = {
      reputation: { peer: string; deliveredViews: number; agreedViews: number; jobsCompleted: number }[]
      balances: { peer: string; earned: string; spent: string; balance: string }[]
    }
    // The seller's job receipts from the tests above reach the buyer over the stream; its site receipts by gossip.
    await waitFor(
      async () => {
        const [onSeller, onBuyer] = (await Promise.all([
          seller.api.call('delivery.ledger', {}),
          buyer.api.call('delivery.ledger', {}),
        ])) as [Ledger, Ledger]
        return JSON.stringify(onSeller.reputation) === JSON.stringify(onBuyer.reputation)
      },
      'both nodes to compute the same reputation',
      15_000,
    )
    const onSeller = (await seller.api.call('delivery.ledger', {})) as Ledger
    const onBuyer = (await buyer.api.call('delivery.ledger', {})) as Ledger
    const sellerReputation = onBuyer.reputation.find((each) => each.peer === seller.peerId)!
    expect(sellerReputation.deliveredViews).toBeGreaterThanOrEqual(3)
    expect(sellerReputation.jobsCompleted).toBeGreaterThan(0)
    const sellerSide = onSeller.balances.find((each) => each.peer === buyer.peerId)!
    const buyerSide = onBuyer.balances.find((each) => each.peer === seller.peerId)!
    expect(BigInt(sellerSide.earned)).toBeGreaterThan(0n)
    expect(BigInt(sellerSide.balance)).toBe(-BigInt(buyerSide.balance))
    expect(sellerSide.earned).toBe(buyerSide.spent)

    const { csv, filename } = (await buyer.api.call('delivery.ledgerCsv', {})) as { csv: string; filename: string }
    expect(filename).toMatch(/^cyclex-ledger-\d{4}-\d\d-\d\d\.csv$/)
    const sellerRow = csv.split('\r\n').find((line) => line.startsWith(`${seller.peerId},`))
    expect(sellerRow?.split(',').at(-2)).toBe(buyerSide.spent)
  }, 60_000)
})

describe('a hostile seller', () => {
  // Last in the file: the seller's job protocol handler is replaced by one that answers garbage.
  it("sends maps with their own toString where text and counts belong: the buyer's job ends refused with a plain reason, not a TypeError", async () => {
    const agreement = await tradeToAgreement(seller, buyer, 'flop', 5)
    const host = (seller as CyclexNode & { host: Host }).host
    await host.unhandle(jobProtocol)
    await host.handle(jobProtocol, ({ stream }) => {
      void (async () => {
        const channel = new JobChannel(stream, 1 << 20)
        await channel.receive(10_000)
        await channel.send({ type: 'progress', cpuMs: { toString: 'x' }, deliveredMilliGflop: -5, stdoutBytes: 'many' })
        await channel.send({ type: 'refused', message: { toString: 'boom' } })
        await stream.close()
      })()
    })
    const progress: Array<{ cpuMs: number }> = []
    const unsubscribe = buyer.api.subscribe((event) => event.type === 'delivery.progress' && progress.push(event.data))
    const result = (await buyer.api.call('delivery.submitJob', {
      agreement: agreement.id,
      sample: 'pi',
      args: ['1000'],
      gflopBudget: 1,
    })) as JobResult
    unsubscribe()
    expect(result).toMatchObject({ state: 'refused', reason: 'refused by the seller', receipt: null })
    expect(progress.every((each) => each.cpuMs === 0)).toBe(true)
  })
})
