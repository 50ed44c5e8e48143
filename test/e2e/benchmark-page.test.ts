// The Benchmark page end to end: `cyclex serve` in its own process, its page in Chromium. A full run
// is started and cancelled, then a quick run shows its figures, the chart and the signed profile.
// Then the desktop window's way (forced with ?cpu=window, since a browser tab has no IPC): the CPU
// stages run in the page's Web Workers, a cancel leaves none of them running, and the node records
// the run with the window's figures; a new ask is then pre-filled from the signed profile.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BenchmarkRun } from '../../src/shared/benchmark/schema'
import type { SignedProfileJson } from '../../src/shared/benchmark/profile'
import { httpCallPrefix } from '../../src/shared/api/wire'
import { makeTempDir, removeDir } from '../helpers/nodes'
import { browserUnavailableReason, launchChromium, screenshotPath, serveNode, type ServedNode } from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the Benchmark page end-to-end test: ${unavailable}`)

describe.skipIf(unavailable !== undefined)('the Benchmark page in Chromium against cyclex serve', () => {
  let browser: Browser
  let node: ServedNode
  let dir: string

  beforeAll(async () => {
    dir = await makeTempDir('cyclex-e2e-bench-')
    node = await serveNode(dir)
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    const code = await node?.stop()
    await removeDir(dir)
    expect(code).toBe(0)
  })

  it('cancels a run, then runs a quick benchmark and shows its figures, chart and profile', async () => {
    const page = await browser.newPage()
    const consoleErrors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })
    await page.goto(node.url)
    await page.getByTestId('nav-benchmark').click()
    await expect.poll(() => page.getByTestId('bench-empty').textContent()).toContain('No run yet')
    await expect
      .poll(() => page.getByTestId('market-empty').textContent())
      .toContain('No other member has published benchmark figures yet')

    await page.getByTestId('bench-start').click()
    await expect
      .poll(async () => Number(await page.getByTestId('stage-cpu-f64-single').getAttribute('data-fraction')), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0)
    await page.getByTestId('bench-cancel').click()
    await expect.poll(() => page.getByTestId('bench-outcome').textContent(), { timeout: 10_000 }).toContain('cancelled')

    await page.getByTestId('bench-start-quick').click()
    await expect
      .poll(() => page.getByTestId('result-f64Single').textContent(), { timeout: 30_000 })
      .toMatch(/\d+\.\d\d GFLOPS/)
    for (const stage of [
      'cpu-f64-single',
      'cpu-f64-multi',
      'cpu-f32-single',
      'cpu-f32-multi',
      'storage',
      'system',
      'network',
    ]) {
      expect(await page.getByTestId(`stage-${stage}`).getAttribute('data-fraction')).toBe('1')
    }
    expect(await page.getByTestId('result-f32Multi').textContent()).toMatch(/GFLOPS/)
    expect(await page.getByTestId('result-storage-free').textContent()).toMatch(/GB/)
    expect(await page.getByTestId('runs-chart').locator('rect').count()).toBe(4)
    await expect.poll(() => page.getByTestId('bench-profile').textContent()).toMatch(/GFLOPS per core/)
    await page.screenshot({ path: await screenshotPath('benchmark-page'), fullPage: true })
    await page.getByTestId('runs-chart').screenshot({ path: await screenshotPath('benchmark-chart') })

    // The run was kept by the node: a reload shows it again.
    await page.reload()
    await expect.poll(() => page.getByTestId('result-f64Single').textContent()).toMatch(/GFLOPS/)
    // A browser tab leaves the CPU stages to the node: its worker_threads measured this run.
    expect(await page.getByTestId('bench-cpu-in-window').isChecked()).toBe(false)
    expect(await page.getByTestId('result-runtime').textContent()).toMatch(/^node \S+ worker_threads$/)
    expect(consoleErrors).toEqual([])
  })

  /** A command, called from the page as its own transport would (the page holds the token cookie). */
  function call<Result>(page: Page, name: string, params: object = {}): Promise<Result> {
    return page.evaluate(
      async ([path, body]) => {
        const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        const answer = (await response.json()) as { result?: unknown; error?: { message: string } }
        if (answer.error) throw new Error(answer.error.message)
        return answer.result
      },
      [`${httpCallPrefix}${name}`, JSON.stringify(params)] as const,
    ) as Promise<Result>
  }

  it('runs the CPU stages in the window’s Web Workers, and the node records the run and pre-fills a new ask', async () => {
    const page = await browser.newPage()
    const consoleErrors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text())
    })
    const workersStarted: string[] = []
    page.on('worker', (worker) => workersStarted.push(worker.url()))
    await page.goto(`${node.url}&cpu=window`)
    await page.getByTestId('nav-benchmark').click()
    await expect.poll(() => page.getByTestId('bench-cpu-in-window').isChecked()).toBe(true)
    const cores = await page.evaluate(() => navigator.hardwareConcurrency)
    const before = await call<{ runs: BenchmarkRun[] }>(page, 'benchmark.history')

    // A full run, cancelled in its first stage: the page's worker is terminated, the node records nothing.
    await page.getByTestId('bench-start').click()
    await expect
      .poll(async () => Number(await page.getByTestId('stage-cpu-f64-single').getAttribute('data-fraction')), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0)
    expect(page.workers().length).toBe(1)
    await page.getByTestId('bench-cancel').click()
    await expect.poll(() => page.getByTestId('bench-outcome').textContent(), { timeout: 10_000 }).toContain('cancelled')
    await expect.poll(() => page.workers().length, { timeout: 5_000 }).toBe(0)
    expect(
      (await call<{ runs: BenchmarkRun[]; runningId: string | null }>(page, 'benchmark.history')).runs,
    ).toHaveLength(before.runs.length)

    // A quick run: 1 + N + 1 + N Web Workers from the bundled worker file, then the node's stages.
    workersStarted.length = 0
    await page.getByTestId('bench-start-quick').click()
    // An error the page shows (the node refusing the figures, say) fails the poll with its text.
    const runtimeOrError = async (): Promise<string | null> =>
      (await page.getByTestId('bench-error').count()) > 0
        ? `error: ${await page.getByTestId('bench-error').textContent()}`
        : page.getByTestId('result-runtime').textContent()
    // Generous: on a shared, loaded two-core machine a quick run once did not finish within 30 s.
    await expect.poll(runtimeOrError, { timeout: 60_000 }).toMatch(/^Web Workers in Chrome \d/)
    expect(workersStarted).toHaveLength(2 + 2 * cores)
    for (const url of workersStarted) expect(url).toMatch(/\/assets\/cpu\.worker-[\w-]+\.js$/)
    expect(page.workers()).toHaveLength(0)
    for (const stage of [
      'cpu-f64-single',
      'cpu-f64-multi',
      'cpu-f32-single',
      'cpu-f32-multi',
      'storage',
      'system',
      'network',
    ]) {
      expect(await page.getByTestId(`stage-${stage}`).getAttribute('data-fraction')).toBe('1')
    }
    expect(await page.getByTestId('result-f64Multi').textContent()).toMatch(
      new RegExp(`\\d+\\.\\d\\d GFLOPS.* on ${cores} worker`),
    )
    expect(await page.getByTestId('result-storage-free').textContent()).toMatch(/GB/)
    await page.screenshot({ path: await screenshotPath('benchmark-window-run'), fullPage: true })

    // The node recorded it: the window's figures, exact FLOPs, and a signed profile made from them.
    const after = await call<{ runs: BenchmarkRun[] }>(page, 'benchmark.history')
    expect(after.runs).toHaveLength(before.runs.length + 1)
    const run = after.runs[0]!
    expect(run.mode).toBe('quick')
    expect(run.cpu.runtime).toMatch(/^Web Workers in Chrome/)
    for (const key of ['f64Single', 'f64Multi', 'f32Single', 'f32Multi'] as const) {
      const figure = run.cpu[key]
      expect(figure).toMatchObject({ matrixSize: 128, blockSize: 32, workers: key.endsWith('Multi') ? cores : 1 })
      expect(figure.flops).toBe(figure.multiplies * 2 * 128 ** 3)
    }
    const signed = await call<SignedProfileJson>(page, 'benchmark.profile')
    expect(signed.profile.measuredAt).toBe(run.measuredAt)
    expect(signed.profile.benchmark.f64SingleMflops).toBe(Math.floor(run.cpu.f64Single.gflops * 1000))

    // A new ask starts from that profile's capabilities.
    await page.getByTestId('nav-market').click()
    await page.getByTestId('side-ask').check()
    const { profile } = signed
    await expect
      .poll(() => page.getByTestId('order-term-gflopsPerCore').inputValue())
      .toBe(String(profile.gflopsPerCore))
    expect(await page.getByTestId('order-term-cores').inputValue()).toBe(String(profile.cores))
    expect(await page.getByTestId('order-term-storageGb').inputValue()).toBe(String(profile.storageGb))
    expect(await page.getByTestId('order-os').inputValue()).toBe(profile.os?.family ?? '')
    // Turned into a bid, the order's requirements do not keep this machine's figures.
    await page.getByTestId('side-bid').check()
    await expect.poll(() => page.getByTestId('order-term-cores').inputValue()).toBe('')
    expect(consoleErrors).toEqual([])
  }, 120_000)
})
