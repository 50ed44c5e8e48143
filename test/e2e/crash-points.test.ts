// Nodes killed with SIGKILL at seeded random moments at every point where they sign or store, and
// started again on the same data directory (issue #8, item 3):
//   - placing: a client places orders and saves and publishes drafts over the HTTP API; whatever the
//     API acknowledged is there after the restart with the same terms, nothing nobody asked for is,
//     and no request (an order, a published draft) became two orders;
//   - taking and confirming: the buyer or the seller is killed while takes and confirms flow; no take
//     has two confirms, the buyer never had takes outstanding for more than a bid's quantity nor two
//     of one pair at once, no order is over-filled, and both converge;
//   - delivering: the seller is killed while it runs the buyer's job; no job has two receipts, the
//     receipts never count more than the agreement's quantity and agree with each other across the
//     restart, and the buyer gets a clear error, then the rest of the agreement.
//
// The nodes are `cyclex serve` processes built into out/ (npm run build). CYCLEX_CRASH_SEED picks the
// seed of the kill moments (7 by default); CYCLEX_LONG=1 runs four seeds from it with more kills each.
// How many requests a client gets through before a kill depends on the machine's speed; the kill
// moments themselves follow from the seed.
import { afterAll, describe, expect, it } from 'vitest'
import type { DraftPublishOutcome, DraftView } from '../../src/shared/api/drafts'
import type { JobResult, JobView } from '../../src/shared/api/delivery'
import type { AgreementView, ConfirmView, OrderView } from '../../src/shared/api/market'
import type { SignedReceiptJson } from '../../src/shared/delivery/receipt'
import type { SignedFact, TakeFact } from '../../src/shared/market'
import { makeTempDir, removeDir, waitFor } from '../helpers/nodes'
import { seededRandom, type SeededRandom } from '../helpers/seeded-random'
import {
  api,
  ApiCallError,
  connect,
  crashSeed,
  longCrashRun,
  marketViolations,
  NodeProcesses,
  sleep,
  storedFacts,
  terms,
  waitForSameState,
  type Violations,
} from './crash-harness'
import type { ServedNode } from './harness'

const seeds = longCrashRun ? [crashSeed, crashSeed + 1, crashSeed + 2, crashSeed + 3] : [crashSeed]
const kills = longCrashRun ? { placing: 10, trading: 8, delivering: 4 } : { placing: 3, trading: 4, delivering: 2 }
const hour = 3_600_000
/** The market's defaults on a `cyclex serve` node (MarketServiceInit): a take binds until validUntil plus this. */
const clockSkewMs = 10_000

const processes = new NodeProcesses()
const dirs: string[] = []

afterAll(async () => {
  processes.killAll()
  await Promise.all(dirs.map(removeDir))
})

async function dataDir(prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix)
  dirs.push(dir)
  return dir
}

/** A call to a node that may be killed meanwhile: its answer, or 'in doubt' when the node went away. */
async function callDuringCrash<T>(node: ServedNode, command: string, params: unknown): Promise<T | 'in doubt'> {
  try {
    return await api<T>(node, command, params)
  } catch (error) {
    // The node answered with an error, or failed while nobody killed it: a real failure.
    if (error instanceof ApiCallError || !processes.wasKilled(node)) throw error
    return 'in doubt'
  }
}

// -- placing ----------------------------------------------------------------------------------------

type Terms = ReturnType<typeof terms>

/** An order the client asked for (market.place, or drafts.publish of one draft); its quantity names it. */
interface OrderRequest {
  terms: Terms
  /** The id the API answered; undefined while the call was in flight when the node died. */
  id?: string
}

interface DraftRecord {
  /** The order the draft becomes; every version has the same. */
  order: Terms
  /** The latest version the API acknowledged. */
  saved?: DraftView
  /** A newer version whose save was in flight when the node died. */
  inDoubt?: DraftView
  published: 'no' | 'in doubt' | 'yes'
}

/** The client: what it asked the node for, and what the node acknowledged. */
class PlacingClient {
  readonly orders = new Map<number, OrderRequest>()
  readonly drafts = new Map<string, DraftRecord>()
  private placed = 0
  private draftsMade = 0
  private savedAt: number
  private readonly window: { start: number; end: number }

  constructor(private readonly random: SeededRandom) {
    const now = Date.now()
    this.savedAt = now
    this.window = { start: now - hour, end: now + 8 * hour }
  }

  /** One request; resolves false once the node is gone. */
  async step(node: ServedNode): Promise<boolean> {
    const choice = this.random.next()
    const unpublished = [...this.drafts].filter(([, record]) => record.saved && record.published === 'no')
    if (choice < 0.25) return this.saveNewDraft(node)
    if (choice < 0.35 && unpublished.length > 0) {
      const [id, record] = this.random.pick(unpublished)
      return this.saveDraft(node, id, record, Number(/v(\d+)$/.exec(record.saved!.label)![1]) + 1)
    }
    if (choice < 0.5 && unpublished.length > 0) return this.publish(node, this.random.pick(unpublished)[0])
    return this.place(node)
  }

  private async place(node: ServedNode): Promise<boolean> {
    // Bids at 1-20 and asks at 200-300 never cross: the node does not trade with itself here.
    const side = this.random.pick(['bid', 'ask'] as const)
    const order = {
      side,
      unit: 'flop' as const,
      quantity: 1_000 + this.placed++,
      price: side === 'bid' ? this.random.int(1, 20) : this.random.int(200, 300),
      window: this.window,
    }
    const request: OrderRequest = { terms: terms(order) }
    this.orders.set(order.quantity, request)
    const answer = await callDuringCrash<OrderView>(node, 'market.place', { order })
    if (answer === 'in doubt') return false
    request.id = answer.id
    return true
  }

  private saveNewDraft(node: ServedNode): Promise<boolean> {
    const index = this.draftsMade++
    const record: DraftRecord = {
      order: terms({ side: 'ask', unit: 'flop', quantity: 500_000 + index, price: 250, window: this.window }),
      published: 'no',
    }
    const id = `crash-draft-${index}`
    this.drafts.set(id, record)
    return this.saveDraft(node, id, record, 1)
  }

  private async saveDraft(node: ServedNode, id: string, record: DraftRecord, version: number): Promise<boolean> {
    const draft: DraftView = { id, label: `${id} v${version}`, order: record.order, savedAt: ++this.savedAt }
    record.inDoubt = draft
    const answer = await callDuringCrash<DraftView>(node, 'drafts.save', { draft })
    if (answer === 'in doubt') return false
    expect(answer).toEqual(draft)
    record.saved = draft
    record.inDoubt = undefined
    return true
  }

  private async publish(node: ServedNode, id: string): Promise<boolean> {
    const record = this.drafts.get(id)!
    const { quantity } = record.order
    const request: OrderRequest = this.orders.get(quantity) ?? { terms: record.order }
    this.orders.set(quantity, request)
    record.published = 'in doubt'
    const answer = await callDuringCrash<{ outcomes: DraftPublishOutcome[] }>(node, 'drafts.publish', { ids: [id] })
    if (answer === 'in doubt') return false
    const [outcome] = answer.outcomes
    if (outcome?.outcome !== 'placed') throw new Error(`publishing draft ${id} answered ${JSON.stringify(outcome)}`)
    request.id = outcome.order.id
    record.published = 'yes'
    return true
  }

  /**
   * After a restart: every acknowledged order and draft is there as acknowledged, nothing else is, and
   * no request became two orders. Then what was in doubt is settled by what the node holds.
   */
  async check(node: ServedNode): Promise<Violations> {
    const violations: Violations = []
    const mine = (await api<{ orders: OrderView[] }>(node, 'market.myOrders')).orders
    const ordersOf = new Map<number, OrderView[]>()
    for (const order of mine) ordersOf.set(order.quantity, [...(ordersOf.get(order.quantity) ?? []), order])
    for (const [quantity, orders] of ordersOf) {
      const request = this.orders.get(quantity)
      if (!request) violations.push(`order ${orders[0]!.id} (quantity ${quantity}) was never asked for`)
      else if (orders.some((order) => JSON.stringify(terms(order)) !== JSON.stringify(request.terms)))
        violations.push(`order ${orders[0]!.id} has other terms than asked for`)
      if (orders.length > 1)
        violations.push(
          `one request (quantity ${quantity}) became ${orders.length} orders: ${orders.map((order) => order.id).join(', ')}`,
        )
    }
    for (const [quantity, request] of this.orders) {
      const held = ordersOf.get(quantity)
      if (request.id !== undefined && !held?.some((order) => order.id === request.id))
        violations.push(`acknowledged order ${request.id} (quantity ${quantity}) is lost`)
    }

    const listed = new Map(
      (await api<{ drafts: DraftView[] }>(node, 'drafts.list')).drafts.map((draft) => [draft.id, draft]),
    )
    for (const [id, draft] of listed) {
      const record = this.drafts.get(id)
      if (!record) violations.push(`draft ${id} was never saved`)
      else if (
        JSON.stringify(draft) !== JSON.stringify(record.saved) &&
        JSON.stringify(draft) !== JSON.stringify(record.inDoubt)
      )
        violations.push(`draft ${id} is ${draft.label}, neither the acknowledged version nor the one in flight`)
      else if (record.published === 'yes') violations.push(`draft ${id} is back after it was published`)
    }
    for (const [id, record] of this.drafts) {
      if (record.saved && record.published === 'no' && !listed.has(id))
        violations.push(`acknowledged draft ${id} is lost`)
      // A draft is removed only once its order is stored.
      if (record.published === 'in doubt' && !listed.has(id) && !ordersOf.has(record.order.quantity))
        violations.push(`draft ${id} is gone but its order is not there`)
    }
    if (violations.length === 0) this.settle(ordersOf, listed)
    return violations
  }

  private settle(ordersOf: Map<number, OrderView[]>, listed: Map<string, DraftView>): void {
    for (const [quantity, request] of this.orders) {
      const held = ordersOf.get(quantity)
      if (held) request.id = held[0]!.id
      // Never stored: from now on an order of this quantity would be one nobody asked for.
      else this.orders.delete(quantity)
    }
    for (const [id, record] of this.drafts) {
      const draft = listed.get(id)
      if (draft) {
        record.saved = draft
        // Cut short before the draft was removed: it is a draft again (its order may be there too).
        if (record.published === 'in doubt') record.published = 'no'
      } else if (record.published === 'in doubt') record.published = 'yes'
      else if (!record.saved) this.drafts.delete(id)
      record.inDoubt = undefined
    }
  }

  /** Drafts whose publish was cut short and are still there: the person publishes them again. */
  async republish(node: ServedNode): Promise<void> {
    for (const [id, record] of this.drafts) {
      if (record.published !== 'no' || !record.saved || !this.orders.has(record.order.quantity)) continue
      expect(await this.publish(node, id), `publishing draft ${id} again`).toBe(true)
    }
  }

  get acknowledged(): number {
    return [...this.orders.values()].filter((request) => request.id !== undefined).length
  }
}

describe('a node killed with SIGKILL while a client places orders and saves and publishes drafts', () => {
  for (const seed of seeds) {
    it(
      `keeps all it acknowledged, holds nothing it was not asked for, never places a request twice (seed ${seed})`,
      { timeout: 60_000 + kills.placing * 15_000 },
      async () => {
        const killRandom = seededRandom(seed)
        const client = new PlacingClient(seededRandom(seed + 1_000))
        const dir = await dataDir('cyclex-crash-placing-')
        for (let round = 0; ; round++) {
          const node = await processes.serve(dir)
          expect(await client.check(node), `after restart ${round}`).toEqual([])
          await client.republish(node)
          expect(await client.check(node), `after publishing again, restart ${round}`).toEqual([])
          if (round === kills.placing) {
            await processes.stop(node)
            break
          }
          const killer = sleep(killRandom.int(100, 1_500)).then(() => processes.kill(node))
          for (let alive = true; alive;) alive = await client.step(node)
          await killer
        }
        console.info(
          `[crash-points] placing, seed ${seed}: ${kills.placing} kills, ${client.acknowledged} orders acknowledged and kept, ${client.drafts.size} drafts saved`,
        )
        expect(client.acknowledged).toBeGreaterThan(kills.placing)
      },
    )
  }
})

// -- taking and confirming --------------------------------------------------------------------------

/**
 * The buyer's takes, from a store: when it signed one, its takes of that bid still binding (signed
 * earlier, validUntil plus the clock skew not yet past) come to no more than the bid's quantity, and
 * none of them is of the same ask unless that take was confirmed.
 */
function takeViolations(facts: SignedFact[], buyer: string): Violations {
  const violations: Violations = []
  const quantityOf = new Map<string, number>()
  const confirmed = new Set<string>()
  const takesOf = new Map<string, SignedFact<TakeFact>[]>()
  for (const signed of facts) {
    const { fact } = signed
    if (fact.kind === 'order') quantityOf.set(signed.id, fact.quantity)
    else if (fact.kind === 'confirm') confirmed.add(fact.take)
    else if (fact.kind === 'take' && fact.owner === buyer)
      takesOf.set(fact.bid, [...(takesOf.get(fact.bid) ?? []), signed as SignedFact<TakeFact>])
  }
  for (const [bid, takes] of takesOf) {
    for (const take of takes) {
      const binding = takes.filter(
        (other) =>
          other.fact.createdAt <= take.fact.createdAt && take.fact.createdAt <= other.fact.validUntil + clockSkewMs,
      )
      const outstanding = binding.reduce((sum, other) => sum + other.fact.quantity, 0)
      if (outstanding > (quantityOf.get(bid) ?? 0))
        violations.push(`take ${take.id}: takes for ${outstanding} of bid ${bid}'s ${quantityOf.get(bid)} bind at once`)
      const twice = binding.filter(
        (other) => other.id !== take.id && other.fact.ask === take.fact.ask && !confirmed.has(other.id),
      )
      if (twice.length > 0)
        violations.push(
          `take ${take.id} of ask ${take.fact.ask} was signed while take ${twice[0]!.id} of the same pair was outstanding`,
        )
    }
  }
  return violations
}

describe('a buyer or a seller killed with SIGKILL while takes and confirms flow', () => {
  for (const seed of seeds) {
    it(
      `signs no take or confirm twice, over-fills nothing, keeps its orders, and converges (seed ${seed})`,
      { timeout: 90_000 + kills.trading * 20_000 },
      async () => {
        const killRandom = seededRandom(seed)
        const bidRandom = seededRandom(seed + 1_000)
        const sellerDir = await dataDir('cyclex-crash-seller-')
        const buyerDir = await dataDir('cyclex-crash-buyer-')
        const nodes = { seller: await processes.serve(sellerDir), buyer: await processes.serve(buyerDir) }
        const sellerId = nodes.seller.peerId
        const buyerId = nodes.buyer.peerId
        await connect(nodes.seller, nodes.buyer)

        const now = Date.now()
        const asks: OrderView[] = []
        for (const price of [9, 10, 11]) {
          asks.push(
            await api<OrderView>(nodes.seller, 'market.place', {
              order: {
                side: 'ask',
                unit: 'flop',
                quantity: 2_000,
                price,
                window: { start: now - hour, end: now + 8 * hour },
              },
            }),
          )
        }

        // The buyer's client bids a few times a second, whether or not the buyer is up; each bid's window
        // starts at its own millisecond, which names it. The seller's takes of a dead seller lapse.
        const bids = new Map<number, { terms: Terms; id?: string }>()
        const firstStart = now + 60_000
        let bidding = true
        const bidder = (async () => {
          while (bidding) {
            const start = firstStart + bids.size
            const order = {
              side: 'bid' as const,
              unit: 'flop' as const,
              quantity: bidRandom.int(1, 4) * 10,
              price: 12,
              window: { start, end: start + hour },
            }
            const request: { terms: Terms; id?: string } = { terms: terms(order) }
            bids.set(start, request)
            const buyer = nodes.buyer
            const answer = await callDuringCrash<OrderView>(buyer, 'market.place', { order })
            if (answer !== 'in doubt') request.id = answer.id
            await sleep(bidRandom.int(150, 400))
          }
        })()
        bidder.catch(() => undefined)

        const sellerConfirms = async () =>
          (await api<{ confirms: ConfirmView[] }>(nodes.seller, 'market.confirms')).confirms.filter(
            (confirm) => confirm.owner === sellerId,
          ).length
        const killed = { seller: 0, buyer: 0 }
        let confirmsBeforeKills = 0
        try {
          for (let round = 0; round < kills.trading; round++) {
            // Kill while trades flow: once the seller confirmed something since the last restart, at a
            // seeded moment within the next few epochs.
            const victim = killRandom.pick(['seller', 'buyer'] as const)
            const confirmsAtStart = await sellerConfirms()
            if (round === 0) confirmsBeforeKills = confirmsAtStart
            await waitFor(async () => (await sellerConfirms()) > confirmsAtStart, 'a confirm by the seller', 30_000)
            await sleep(killRandom.int(0, 2_500))
            await processes.kill(nodes[victim])
            killed[victim]++
            nodes[victim] = await processes.serve(victim === 'seller' ? sellerDir : buyerDir)

            const mine = (await api<{ orders: OrderView[] }>(nodes[victim], 'market.myOrders')).orders
            if (victim === 'seller') {
              const byId = (orders: OrderView[]) =>
                orders.map((order) => ({ id: order.id, ...terms(order) })).sort((a, b) => a.id.localeCompare(b.id))
              expect(byId(mine)).toEqual(byId(asks))
            } else {
              for (const bid of mine)
                expect(terms(bid), `bid ${bid.id} as asked for`).toEqual(bids.get(bid.window.start)?.terms)
              expect(new Set(mine.map((bid) => bid.window.start)).size, 'bids per request').toBe(mine.length)
              const held = new Set(mine.map((bid) => bid.id))
              for (const [start, bid] of bids)
                if (bid.id !== undefined)
                  expect(held.has(bid.id), `acknowledged bid ${bid.id} (start ${start})`).toBe(true)
            }
            expect(await marketViolations(nodes[victim], sellerId)).toEqual([])
            await connect(nodes.seller, nodes.buyer)
          }
        } finally {
          bidding = false
        }
        await bidder

        await waitForSameState(nodes.seller, nodes.buyer)
        expect(await marketViolations(nodes.seller, sellerId)).toEqual([])
        expect(await marketViolations(nodes.buyer, sellerId)).toEqual([])
        const confirms = await sellerConfirms()
        expect(confirms).toBeGreaterThan(confirmsBeforeKills)
        await processes.stop(nodes.seller)
        await processes.stop(nodes.buyer)

        // What each store holds, beyond what the API shows: every take the buyer ever signed.
        const buyerFacts = await storedFacts(buyerDir)
        const takes = buyerFacts.filter((signed) => signed.fact.kind === 'take').length
        expect(takeViolations(buyerFacts, buyerId)).toEqual([])
        expect(takeViolations(await storedFacts(sellerDir), buyerId)).toEqual([])
        console.info(
          `[crash-points] trading, seed ${seed}: seller killed ${killed.seller}x, buyer ${killed.buyer}x; ${bids.size} bids asked for, ${takes} takes, ${confirms} confirms`,
        )
      },
    )
  }
})

// -- delivering -------------------------------------------------------------------------------------

/** The seller's receipts of one agreement: one per job and seq, and their counts agree with each other. */
function receiptViolations(receipts: SignedReceiptJson[], quantityGflop: number): Violations {
  const violations: Violations = []
  const seen = new Map<string, string>()
  let deliveredSum = 0
  let agreementDelivered = 0
  for (const { id, receipt } of receipts) {
    const key = `${receipt.job}#${receipt.seq}`
    if (seen.has(key))
      violations.push(`job ${receipt.job} seq ${receipt.seq} has two receipts: ${seen.get(key)} and ${id}`)
    seen.set(key, id)
    if (receipt.status === 'refused') continue
    deliveredSum += receipt.delivered
    agreementDelivered = Math.max(agreementDelivered, receipt.agreementDelivered)
  }
  // One job at a time: each receipt adds its job to what the seller knew was delivered, across restarts.
  if (deliveredSum !== agreementDelivered)
    violations.push(`the receipts deliver ${deliveredSum} milli-GFLOP but the latest says ${agreementDelivered}`)
  if (agreementDelivered > quantityGflop * 1000)
    violations.push(`${agreementDelivered} milli-GFLOP delivered of ${quantityGflop} GFLOP agreed`)
  return violations
}

describe('a seller killed with SIGKILL while it runs a job', () => {
  for (const seed of seeds) {
    it(
      `signs no receipt twice, delivers no more than agreed, and serves the rest after the restart (seed ${seed})`,
      { timeout: 150_000 + kills.delivering * 30_000 },
      async () => {
        const killRandom = seededRandom(seed)
        const sellerDir = await dataDir('cyclex-crash-delivery-seller-')
        let seller = await processes.serve(sellerDir)
        const buyer = await processes.serve(await dataDir('cyclex-crash-delivery-buyer-'))
        await connect(seller, buyer)
        // This machine is shared with other work: the seller lends whether or not it is idle, one job at a time.
        await api(seller, 'delivery.setPolicy', { requireIdle: false, maxCores: 1 })
        await api(seller, 'benchmark.start', { quick: true, maxWorkers: 1 })
        await waitFor(
          async () => (await api<unknown>(seller, 'benchmark.profile')) !== null,
          "the seller's benchmark profile",
          120_000,
        )

        const quantity = 2 * kills.delivering + 2
        const window = { start: Date.now() - 1_000, end: Date.now() + hour }
        const ask = await api<OrderView>(seller, 'market.place', {
          order: { side: 'ask', unit: 'flop', quantity, price: 1_000, window },
        })
        await waitFor(
          async () =>
            (await api<{ orders: OrderView[] }>(buyer, 'market.book')).orders.some((order) => order.id === ask.id),
          'the ask on the buyer',
          20_000,
        )
        await api(buyer, 'market.place', { order: { side: 'bid', unit: 'flop', quantity, price: 1_000, window } })
        let agreement = ''
        await waitFor(
          async () => {
            agreement =
              (await api<{ agreements: AgreementView[] }>(buyer, 'market.agreements')).agreements.find(
                (each) => each.ask === ask.id,
              )?.id ?? ''
            return (
              agreement !== '' &&
              (await api<{ agreements: AgreementView[] }>(seller, 'market.agreements')).agreements.some(
                (each) => each.id === agreement,
              )
            )
          },
          'the agreement on both nodes',
          30_000,
        )
        const receiptsOn = async (node: ServedNode) =>
          api<{ receipts: SignedReceiptJson[] }>(node, 'delivery.receipts', { agreement }).then(
            (answer) => answer.receipts,
          )

        // A first job delivers something before any kill: what comes after must build on it.
        const first = await api<JobResult>(
          buyer,
          'delivery.submitJob',
          { agreement, sample: 'pi', args: ['20000000'], gflopBudget: 1 },
          60_000,
        )
        expect(first.state).toBe('completed')
        expect(first.receipt!.receipt.delivered).toBeGreaterThan(0)
        // pi with 1e9 samples runs until its CPU limit: 1.5 GFLOP at the seller's rate, plus the margin.
        const jobBudgetGflop = 1.5
        const cpuLimitMs = Math.round((jobBudgetGflop * 1000 * 1.1 * 1000) / first.receipt!.receipt.rateMflops!)

        const cutShort: string[] = []
        for (let round = 0; round < kills.delivering; round++) {
          const submitted = api<JobResult>(
            buyer,
            'delivery.submitJob',
            { agreement, sample: 'pi', args: ['999999999'], gflopBudget: jobBudgetGflop },
            60_000,
          ).catch((error: unknown) => error as Error)
          const isRunning = async () =>
            (await api<{ jobs: JobView[] }>(seller, 'delivery.jobs')).jobs.some(
              (job) => job.role === 'seller' && job.state === 'running',
            )
          await waitFor(isRunning, 'the job to run on the seller', 20_000)
          // Anywhere from the start of the job to a little past its CPU limit, when the receipt is signed.
          await sleep(killRandom.int(0, Math.round(cpuLimitMs * 1.3)))
          await processes.kill(seller)
          const outcome = await submitted
          const job = (await api<{ jobs: JobView[] }>(buyer, 'delivery.jobs')).jobs.find(
            (each) => each.role === 'buyer' && each.agreement === agreement,
          )!
          if (outcome instanceof Error) {
            // The buyer hears that the job was cut short, in a message that says so.
            expect(outcome).toBeInstanceOf(ApiCallError)
            expect(outcome.message).toMatch(/ERR_CONNECTION .*seller/)
            expect(job.state).toBe('failed')
            cutShort.push(job.job)
          } else {
            // The job ended before the kill (at its CPU limit, or done on a fast moment): it has its receipt.
            expect(['stopped', 'completed']).toContain(outcome.state)
          }
          seller = await processes.serve(sellerDir)
          await connect(seller, buyer)
          const receipts = await receiptsOn(seller)
          expect(receiptViolations(receipts, quantity)).toEqual([])
          if (outcome instanceof Error) expect(receipts.filter(({ receipt }) => receipt.job === job.job)).toEqual([])
        }

        // What is left can still be used: a job whose budget is all of it runs, one GFLOP more is refused.
        const sellerReceipts = await receiptsOn(seller)
        const delivered = Math.max(
          0,
          ...sellerReceipts
            .filter(({ receipt }) => receipt.status !== 'refused')
            .map(({ receipt }) => receipt.agreementDelivered),
        )
        const left = quantity * 1000 - delivered
        const rest = await api<JobResult>(
          buyer,
          'delivery.submitJob',
          { agreement, sample: 'pi', args: ['100000'], gflopBudget: left / 1000 },
          60_000,
        )
        expect(rest.state).toBe('completed')
        const over = await api<JobResult>(
          buyer,
          'delivery.submitJob',
          {
            agreement,
            sample: 'pi',
            args: ['100000'],
            gflopBudget: (left - rest.receipt!.receipt.delivered) / 1000 + 1,
          },
          60_000,
        )
        expect(over.state).toBe('refused')
        expect(over.reason).toMatch(/is more than the [\d.]+ GFLOP agreement \S+ has left/)

        const finalReceipts = await receiptsOn(seller)
        expect(receiptViolations(finalReceipts, quantity)).toEqual([])
        // The buyer holds the receipts of every job that ended, as the seller signed them.
        await waitFor(
          async () => (await receiptsOn(buyer)).length === finalReceipts.length,
          "the buyer to hold the seller's receipts",
          20_000,
        )
        expect((await receiptsOn(buyer)).map(({ id }) => id).sort()).toEqual(finalReceipts.map(({ id }) => id).sort())
        console.info(
          `[crash-points] delivering, seed ${seed}: ${kills.delivering} kills, ${cutShort.length} jobs cut short, ${finalReceipts.length} receipts, ${first.receipt!.receipt.delivered} milli-GFLOP delivered before the kills, ${delivered} of ${quantity * 1000} before the last job (CPU limit of a job ${cpuLimitMs} ms)`,
        )
        await processes.stop(seller)
        await processes.stop(buyer)
      },
    )
  }
})
