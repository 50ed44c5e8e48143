// The Benchmark page end to end: `cyclex serve` in its own process, its page in Chromium. A full run
// is started and cancelled, then a quick run shows its figures, the chart and the signed profile.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
    await expect.poll(() => page.getByTestId('market-empty').textContent()).toContain('No peer has published a profile yet')

    await page.getByTestId('bench-start').click()
    await expect.poll(async () => Number(await page.getByTestId('stage-cpu-f64-single').getAttribute('data-fraction')), { timeout: 10_000 }).toBeGreaterThan(0)
    await page.getByTestId('bench-cancel').click()
    await expect.poll(() => page.getByTestId('bench-outcome').textContent(), { timeout: 10_000 }).toContain('cancelled')

    await page.getByTestId('bench-start-quick').click()
    await expect.poll(() => page.getByTestId('result-f64Single').textContent(), { timeout: 30_000 }).toMatch(/\d+\.\d\d GFLOPS/)
    for (const stage of ['cpu-f64-single', 'cpu-f64-multi', 'cpu-f32-single', 'cpu-f32-multi', 'storage', 'system', 'network']) {
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
    expect(consoleErrors).toEqual([])
  })
})
