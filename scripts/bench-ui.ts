/// <reference lib="dom" />
// npm run bench:ui — how long from a node receiving an order to the renderer painting it, with a
// 10,000-order book on screen. Two built `cyclex serve` nodes (npm run build first), connected, and the
// first one's page in Debian's Chromium: the book is seeded through the first node's API, then samples
// alternate between two ways a new best ask reaches it, each timed to the frame after its ladder row
// appears:
//   from a peer:  the second node places it and gossip brings it. Timed from the moment the node under
//                 test took it in (its `cyclex:market:incoming` trace, "took in order <id> ... by
//                 gossip", written after the message's signature and proof of work were checked, with
//                 the logger's millisecond timestamp; the bench turns that namespace on with DEBUG):
//                 storing, the market.book event carrying the order, React, layout, paint. This is the
//                 figure issue 19 names ("node receives an order → page painted").
//   placed here:  from the market.place call on the node under test: also signing the order, its proof
//                 of work and the fsync of a fact this node signed, before the same path.
// Each is split three ways: to the market.book event arriving on the page's WebSocket (noted by a
// listener the bench adds to the page's socket, ahead of the page's own), then to the row in the DOM
// (the page's script: the event's JSON and schema check, the book copy, the ladder, React's render),
// then to the frame after (headless Chromium starts a frame as soon as one is needed, under a
// millisecond after the script in a trace, so this is that frame's style, layout and paint; a 60 Hz
// display would add the wait for its next refresh, 0 to 16.7 ms).
// It also prints the page's main-thread CPU per order over the samples (Chromium's Performance metrics
// in thread time: tasks, and the script, layout and style in them), which the machine's load moves far
// less than the splits.
// Last, the flood: one ask from the peer that every seeded bid negotiates with (5,000 market.negotiation
// events at the page), timed to its row painted and to the inbox counting them, with the page's long
// tasks meanwhile.
// BENCH_UI_PROFILE=<file> also writes a CPU profile of the page over the samples (CDP Profiler), and
// BENCH_UI_TRACE=<file> Chromium's performance trace of them (frames, style, layout, paint); open
// either in Chromium's DevTools, Performance panel.
// Writes bench-results/ui.json. The nodes, Chromium and the temp folders are removed however the run
// ends (an error, a timeout, Ctrl-C): each node runs in its own process group, which stop() signals.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeTempDir, removeDir } from '../test/helpers/nodes'
import { percentile } from './bench-stats'
import type { Browser, CDPSession, Page } from 'playwright-core'
import {
  api as call,
  browserUnavailableReason,
  connectNodes,
  launchChromium,
  projectRoot,
  serveNode,
  waitUntil,
  type ServedNode,
} from '../test/e2e/harness'

const bookSize = Number(process.env.BENCH_UI_ORDERS ?? 10_000)
const samples = Number(process.env.BENCH_UI_SAMPLES ?? 30)
// Issue 19: one frame at 60 Hz (it was 100 ms before).
const goalP95Ms = 16
const seedConcurrency = 8
/** The node under test's trace of each fact it takes in (incoming-facts.ts). */
const incomingNamespace = 'cyclex:market:incoming'
const profileFile = process.env.BENCH_UI_PROFILE
const traceFile = process.env.BENCH_UI_TRACE

interface Summary {
  median: number
  p95: number
  max: number
}

function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined
  return { median: percentile(values, 0.5), p95: percentile(values, 0.95), max: Math.max(...values) }
}

const describe = (figure: Summary | undefined): string =>
  figure === undefined ? 'no samples' : `median ${figure.median} ms, p95 ${figure.p95} ms, max ${figure.max} ms`

/** One kind of sample, timed from its start to the paint and split where the order crosses to the page. */
class Split {
  readonly toPaint: number[] = []
  readonly toEvent: number[] = []
  readonly eventToDom: number[] = []
  readonly domToPaint: number[] = []

  /** `event`: the market.book event that brought the row to the page, if one was seen. */
  add(start: number, event: number | undefined, row: Painted): void {
    this.toPaint.push(row.paintedAt - start)
    this.domToPaint.push(row.paintedAt - row.inDomAt)
    if (event === undefined) return
    this.toEvent.push(event - start)
    this.eventToDom.push(row.inDomAt - event)
  }

  figures() {
    return {
      toPaintMs: summarize(this.toPaint),
      toEventMs: summarize(this.toEvent),
      eventToDomMs: summarize(this.eventToDom),
      domToPaintMs: summarize(this.domToPaint),
      samplesWithEvent: this.toEvent.length,
    }
  }
}

function printSplit(figures: ReturnType<Split['figures']>, start: string): void {
  console.log(`  ${start} → market.book event at the page: ${describe(figures.toEventMs)}`)
  console.log(`  event → row in the DOM (the page's script):  ${describe(figures.eventToDomMs)}`)
  console.log(`  row in the DOM → painted (the next frame):   ${describe(figures.domToPaintMs)}`)
  if (figures.samplesWithEvent < samples)
    console.log(`  (the event was seen in ${figures.samplesWithEvent} of ${samples} samples)`)
}

/** When a sample's ask row reached the page (ms since the epoch, Date.now() in the page). */
interface Painted {
  /** The row is in the DOM: React committed the render that holds it. */
  inDomAt: number
  /** The frame after: its animation-frame callbacks ran, then style, layout and paint, then this timer. */
  paintedAt: number
}

/**
 * Resolves when the ask row at `price` is in the DOM and in the frame after; rejects after 30 s. Start
 * it before the order is placed: a peer's order can be painted before its market.place answers.
 */
function paintOf(page: Page, price: number, what: string): Promise<Painted> {
  // No named functions inside: tsx would wrap them in a naming helper that the page does not have.
  const painted = page.evaluate(
    (selector) =>
      new Promise<Painted>((resolve) => {
        const observer = new MutationObserver(() => {
          if (!document.querySelector(selector)) return
          const inDomAt = Date.now()
          observer.disconnect()
          requestAnimationFrame(() => setTimeout(() => resolve({ inDomAt, paintedAt: Date.now() }), 0))
        })
        observer.observe(document.body, { childList: true, subtree: true, attributes: true })
      }),
    `[data-testid=ladder-ask][data-price="${price}"]`,
  )
  const paintedOrTimedOut = Promise.race([
    painted,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: the ask at ${price} was not painted within 30 s`)), 30_000),
    ),
  ])
  // A wait given up on (its order's call threw) rejects when the clean-up closes Chromium: handled here,
  // so that it does not end the process before the clean-up stops the nodes; it still rejects for its caller.
  paintedOrTimedOut.catch(() => undefined)
  return paintedOrTimedOut
}

/**
 * Notes in the page when each market.book event arrives on the node's WebSocket (Date.now(), before the
 * page's own listener runs: this listener is added as the socket is made), in window.__benchBookEvents.
 * A script in a string, so that tsx does not rewrite it.
 */
const bookEventClock = `(() => {
  const arrivals = []
  window.__benchBookEvents = arrivals
  // And the page's long tasks (over 50 ms), for the flood at the end: [start, duration] in ms.
  const longTasks = []
  window.__benchLongTasks = longTasks
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push([performance.timeOrigin + entry.startTime, entry.duration])
  }).observe({ type: 'longtask' })
  const NativeWebSocket = window.WebSocket
  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols)
    socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string' && event.data.includes('"market.book"')) arrivals.push(Date.now())
    })
    return socket
  }
  window.WebSocket.prototype = NativeWebSocket.prototype
  for (const state of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) window.WebSocket[state] = NativeWebSocket[state]
})()`

/** When the node under test took in the fact `id` by gossip, from its trace (ms since the epoch). */
async function tookInAt(node: ServedNode, id: string): Promise<number> {
  // The trace reaches this process through a pipe, possibly after the page painted the order.
  const line = new RegExp(`^(\\S+) ${incomingNamespace} took in order ${id} from \\S+ by gossip$`, 'm')
  let match: RegExpExecArray | null = null
  await waitUntil(
    `the node's trace of taking in order ${id}`,
    async () => (match = line.exec(node.output())) !== null,
    10_000,
  )
  const at = Date.parse(match![1]!)
  if (Number.isNaN(at)) throw new Error(`the trace of order ${id} has no timestamp: ${match![0]}`)
  return at
}

/**
 * The flood, after the samples: the peer places one ask in the seeded bids' window, cheaper than any ask
 * another owner has, so every seeded bid negotiates with it (matcher.md) and the node sends the page
 * one market.negotiation event for each. Timed from the node taking it in to its row painted and to the
 * inbox counting every negotiation the node lists; with the page's long tasks (over 50 ms) meanwhile.
 */
async function floodOf(
  page: Page,
  node: ServedNode,
  peer: ServedNode,
  ask: { price: number; window: { start: number; end: number } },
) {
  type BenchWindow = { __benchLongTasks: [number, number][] }
  const tasksBefore = await page.evaluate(() => (globalThis as unknown as BenchWindow).__benchLongTasks.length)
  const painted = paintOf(page, ask.price, 'the flood')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const order = await call<{ id: string }>(peer, 'market.place', {
    order: { side: 'ask', unit: 'flop', quantity: 5, price: ask.price, window: ask.window },
  })
  const row = await painted
  const tookIn = await tookInAt(node, order.id)
  let negotiations = 0
  let inboxAt = 0
  await waitUntil(
    'the inbox counts every negotiation the node lists',
    async () => {
      const listed = (await call<{ negotiations: unknown[] }>(node, 'market.negotiations', {})).negotiations.length
      const shown = await page.evaluate(() =>
        Number(document.querySelector('[data-testid=negotiation-count]')?.getAttribute('data-open') ?? -1),
      )
      if (listed === 0 || shown !== listed) return false
      negotiations = listed
      inboxAt = Date.now()
      return true
    },
    180_000,
  )
  const tasks = (
    await page.evaluate((before) => (globalThis as unknown as BenchWindow).__benchLongTasks.slice(before), tasksBefore)
  ).filter(([start]) => start <= inboxAt)
  return {
    negotiations,
    tookInToPaintMs: row.paintedAt - tookIn,
    // Polled every 250 ms: up to that much late.
    tookInToInboxMs: inboxAt - tookIn,
    longTasks: tasks.length,
    longTasksMs: Math.round(tasks.reduce((sum, [, duration]) => sum + duration, 0)),
    longestTaskMs: Math.round(Math.max(0, ...tasks.map(([, duration]) => duration))),
  }
}

interface MainThreadTimes {
  task: number
  script: number
  layout: number
  style: number
}

/** The page's main thread so far, in ms of its CPU time (Performance.enable with threadTicks). */
async function mainThreadTimes(session: CDPSession): Promise<MainThreadTimes> {
  const { metrics } = await session.send('Performance.getMetrics')
  const seconds = (name: string): number => {
    const metric = metrics.find((each) => each.name === name)
    if (metric === undefined) throw new Error(`Chromium reported no ${name} metric`)
    return metric.value * 1000
  }
  return {
    task: seconds('TaskDuration'),
    script: seconds('ScriptDuration'),
    layout: seconds('LayoutDuration'),
    style: seconds('RecalcStyleDuration'),
  }
}

async function main(): Promise<void> {
  const unavailable = browserUnavailableReason()
  if (unavailable) throw new Error(`bench:ui cannot run: ${unavailable}`)
  const dir = await makeTempDir('cyclex-bench-ui-')
  const peerDir = await makeTempDir('cyclex-bench-ui-peer-')
  let node: ServedNode | undefined
  let peer: ServedNode | undefined
  let browser: Browser | undefined
  let cleaned: Promise<void> | undefined
  const cleanUp = (): Promise<void> =>
    (cleaned ??= (async () => {
      await browser?.close().catch((error: unknown) => console.error('closing Chromium failed:', error))
      for (const served of [node, peer])
        await served?.stop().catch((error: unknown) => console.error('stopping a node failed:', error))
      for (const each of [dir, peerDir])
        await removeDir(each).catch((error: unknown) => console.error(`removing ${each} failed:`, error))
    })())
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`${signal}: cleaning up`)
    void cleanUp().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    node = await serveNode(dir, [], {
      env: { ...process.env, DEBUG: [process.env.DEBUG, incomingNamespace].filter(Boolean).join(',') },
    })
    browser = await launchChromium()
    const served = node
    const hour = 60 * 60 * 1000
    const window = { start: Date.now(), end: Date.now() + 2 * hour }
    const laterWindow = { start: window.end + hour, end: window.end + 2 * hour }
    console.log(`seeding ${bookSize} orders…`)
    const seedStart = performance.now()
    let next = 0
    // One owner: its bids and asks never match each other, so the book stays at its full size.
    await Promise.all(
      Array.from({ length: seedConcurrency }, async () => {
        while (next < bookSize) {
          const index = next++
          const side = index % 2 === 0 ? 'bid' : 'ask'
          const price = side === 'bid' ? 4_000 - (index % 3_000) : 6_000 + (index % 3_000)
          await call(served, 'market.place', {
            order: { side, unit: 'flop', quantity: 10 + (index % 90), price, window },
          })
          if ((index + 1) % 2_000 === 0) console.log(`  ${index + 1} placed`)
        }
      }),
    )
    console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)

    // The peer joins after the seeding and fetches the book before the samples, so that its sync does
    // not run during them. Its asks are for a later window than the seeded bids: an ask of another
    // owner that fits a bid becomes the negotiating seller of every bid it is the cheapest for (matcher.md),
    // and thousands of negotiations at each sample would be measured instead of the order.
    peer = await serveNode(peerDir)
    const from = peer
    await connectNodes(from, served)
    const factsOf = async (each: ServedNode) => (await call<{ facts: number }>(each, 'market.summary')).facts
    const seededFacts = await factsOf(served)
    const syncStart = performance.now()
    await waitUntil('the peer holds the seeded book', async () => (await factsOf(from)) >= seededFacts, 600_000)
    console.log(`the peer fetched the book in ${((performance.now() - syncStart) / 1000).toFixed(1)} s`)

    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    await page.addInitScript({ content: bookEventClock })
    const changesAnswered: number[] = []
    page.on('requestfinished', (request) => {
      if (request.url().endsWith('/api/call/market.bookChanges')) changesAnswered.push(Date.now())
    })
    await page.goto(node.url)
    const loadStart = performance.now()
    await page.goto(`${node.origin}/#/market`)
    await page.waitForFunction(
      (text) => document.querySelector('[data-testid=book-count]')?.textContent === text,
      `${bookSize.toLocaleString('en-US')} live orders`,
      { timeout: 120_000 },
    )
    const firstLoadMs = Math.round(performance.now() - loadStart)
    console.log(`the page showed the ${bookSize}-order book ${firstLoadMs} ms after opening`)

    const bookEventsSeen = (): Promise<number> =>
      page.evaluate(() => (globalThis as unknown as { __benchBookEvents: number[] }).__benchBookEvents.length)
    /** The last market.book event at the page from `from` to `until`: the one that brought the row. */
    const eventBetween = async (eventsBefore: number, from: number, until: number): Promise<number | undefined> => {
      const arrivals = await page.evaluate(
        (before) => (globalThis as unknown as { __benchBookEvents: number[] }).__benchBookEvents.slice(before),
        eventsBefore,
      )
      return arrivals.filter((at) => at >= from && at <= until).at(-1)
    }

    const profiler = profileFile === undefined ? undefined : await page.context().newCDPSession(page)
    await profiler?.send('Profiler.enable')
    await profiler?.send('Profiler.start')
    // Frames, style, layout, paint and the script between them; the timeline categories DevTools records.
    if (traceFile !== undefined)
      await browser.startTracing(page, {
        path: traceFile,
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8.execute'],
      })

    // The page's main-thread CPU over the samples (CDP Performance metrics in thread time): what the load
    // of the machine moves far less than the wall-clock splits.
    const metrics = await page.context().newCDPSession(page)
    await metrics.send('Performance.enable', { timeDomain: 'threadTicks' })
    const mainThreadBefore = await mainThreadTimes(metrics)

    const placed = new Split()
    const fromPeer = new Split()
    const eventToAnswer: number[] = []
    const answerToPaint: number[] = []
    let samplesWithRead = 0
    for (let sample = 0; sample < samples; sample++) {
      // Alternated, so that both see the machine as it is at the time; each a new best ask.
      {
        const price = 5_999 - 2 * sample
        const eventsBefore = await bookEventsSeen()
        const painted = paintOf(page, price, `sample ${sample} (placed here)`)
        await new Promise((resolve) => setTimeout(resolve, 50))
        const answersBefore = changesAnswered.length
        const placedAt = Date.now()
        await call(served, 'market.place', { order: { side: 'ask', unit: 'flop', quantity: 5, price, window } })
        const row = await painted
        const event = await eventBetween(eventsBefore, placedAt, row.inDomAt)
        placed.add(placedAt, event, row)
        // The last change read answered before the row was drawn: the one that brought it.
        const answer = changesAnswered
          .slice(answersBefore)
          .filter((time) => time <= row.inDomAt)
          .at(-1)
        if (answer !== undefined) {
          samplesWithRead++
          answerToPaint.push(row.paintedAt - answer)
          if (event !== undefined && answer >= event) eventToAnswer.push(answer - event)
        }
      }
      {
        const price = 5_998 - 2 * sample
        const eventsBefore = await bookEventsSeen()
        const painted = paintOf(page, price, `sample ${sample} (from the peer)`)
        await new Promise((resolve) => setTimeout(resolve, 50))
        const order = await call<{ id: string }>(from, 'market.place', {
          order: { side: 'ask', unit: 'flop', quantity: 5, price, window: laterWindow },
        })
        const row = await painted.catch(async (error: unknown) => {
          // Say which side lost it: the node never took it in, or the page did not paint what it holds.
          const held = (await call<{ orders: { id: string }[] }>(served, 'market.book', {})).orders.some(
            (each) => each.id === order.id,
          )
          const traced = node!.output().includes(`took in order ${order.id} `)
          throw new Error(
            `${String(error)}; the node ${held ? 'holds' : 'does not hold'} it, and its trace ${traced ? 'shows' : 'does not show'} it taken in by gossip`,
          )
        })
        const tookIn = await tookInAt(served, order.id)
        fromPeer.add(tookIn, await eventBetween(eventsBefore, tookIn, row.inDomAt), row)
      }
    }

    const mainThreadAfter = await mainThreadTimes(metrics)
    const orders = 2 * samples
    const perOrder = (field: keyof MainThreadTimes): number =>
      Math.round(((mainThreadAfter[field] - mainThreadBefore[field]) / orders) * 100) / 100
    const pageCpuPerOrderMs = {
      task: perOrder('task'),
      script: perOrder('script'),
      layout: perOrder('layout'),
      style: perOrder('style'),
    }

    // Both end before the flood, which would be most of them.
    if (profiler !== undefined && profileFile !== undefined) {
      const { profile } = await profiler.send('Profiler.stop')
      await writeFile(profileFile, JSON.stringify(profile))
      console.log(`the page's CPU profile over the samples: ${profileFile}`)
    }

    if (traceFile !== undefined) {
      await browser.stopTracing()
      console.log(`Chromium's performance trace of the page over the samples: ${traceFile}`)
    }

    const flood = await floodOf(page, served, from, { price: 5_999 - 2 * samples, window })

    const figures = {
      bookSize,
      samples,
      firstLoadMs,
      // The figure issue 19 names: an order from a peer, from the node taking it in to the paint.
      fromPeer: fromPeer.figures(),
      // An order placed through the node's own API, from the market.place call.
      placedHere: placed.figures(),
      eventToChangesAnsweredMs: summarize(eventToAnswer),
      changesAnsweredToPaintMs: summarize(answerToPaint),
      samplesWithChangeRead: samplesWithRead,
      pageCpuPerOrderMs,
      flood,
      goalP95Ms,
      note: "fromPeer starts at the node under test taking the order in from gossip (its cyclex:market:incoming trace, ms timestamps); placedHere at the market.place call on that node. Each splits at the market.book event arriving on the page's WebSocket (the last one before the row was in the DOM), at the row in the DOM (the render that holds it committed), and ends in the frame after (its animation-frame callbacks, style, layout, paint). Headless Chromium starts that frame as soon as one is needed (a display would add the wait for its next refresh, 0-16.7 ms at 60 Hz)",
    }
    console.log(`book: ${bookSize} orders, ${samples} samples of each kind, alternated`)
    console.log(`order from a peer: node takes it in → renderer paints it: ${describe(figures.fromPeer.toPaintMs)}`)
    printSplit(figures.fromPeer, 'taken in')
    console.log(`order placed here: market.place → renderer paints it: ${describe(figures.placedHere.toPaintMs)}`)
    printSplit(figures.placedHere, 'market.place')
    console.log(
      `the page's main-thread CPU per order over the samples (both kinds, with whatever else the page did meanwhile): ${pageCpuPerOrderMs.task} ms in tasks, of which script ${pageCpuPerOrderMs.script} ms, layout ${pageCpuPerOrderMs.layout} ms, style ${pageCpuPerOrderMs.style} ms`,
    )
    console.log(`samples placed here in which the page read market.bookChanges: ${samplesWithRead} of ${samples}`)
    if (samplesWithRead > 0) {
      console.log(`  in those, event → bookChanges answered: ${describe(figures.eventToChangesAnsweredMs)}`)
      console.log(`  and bookChanges answered → paint:      ${describe(figures.changesAnsweredToPaintMs)}`)
    }
    console.log(
      `the flood: one ask from the peer that ${flood.negotiations} of this node's bids negotiate with: taken in → painted ${flood.tookInToPaintMs} ms, → the inbox counts them all ${flood.tookInToInboxMs} ms; the page's long tasks meanwhile ${flood.longTasks}, ${flood.longTasksMs} ms in all, the longest ${flood.longestTaskMs} ms`,
    )
    console.log(`goal: p95 <= ${goalP95Ms} ms (order from a peer, taken in → paint)`)
    const out = join(projectRoot, 'bench-results')
    await mkdir(out, { recursive: true })
    await writeFile(join(out, 'ui.json'), `${JSON.stringify(figures, null, 2)}\n`)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await cleanUp()
  }
}

await main()
