// The headless node end to end: `cyclex serve` in its own process, its page in Chromium.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Browser } from 'playwright-core'
import type { NodeStatus } from '../../src/shared/api/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir, removeDir } from '../helpers/nodes'
import { browserUnavailableReason, launchChromium, screenshotPath, serveNode, type ServedNode } from './harness'

const unavailable = browserUnavailableReason()
if (unavailable) console.warn(`Skipping the Node page end-to-end tests: ${unavailable}`)

describe.skipIf(unavailable !== undefined)('the Node page in Chromium against cyclex serve', () => {
  let browser: Browser
  const nodes: ServedNode[] = []
  const dirs: string[] = []

  async function serve(extraArgs: string[] = []): Promise<ServedNode> {
    const dir = await makeTempDir('cyclex-e2e-')
    dirs.push(dir)
    const node = await serveNode(dir, extraArgs)
    nodes.push(node)
    return node
  }

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    const codes = await Promise.all(nodes.map((node) => node.stop()))
    await Promise.all(dirs.map(removeDir))
    // Each node stopped by itself on SIGTERM: nothing kept its event loop alive.
    expect(codes.every((code) => code === 0)).toBe(true)
  })

  it('loads with the token, shows the peer ID, and lists a second node after connecting to it', async () => {
    const alice = await serve()
    const bob = await serve()
    const page = await browser.newPage()
    await page.goto(alice.url)
    // The token went into a cookie; the address bar no longer shows it.
    expect(page.url()).toBe(`${alice.origin}/`)
    await expect.poll(() => page.getByTestId('peer-id').textContent()).toContain(alice.peerId)
    // On 127.0.0.1 with no peer yet, nobody has seen this node from outside.
    await expect.poll(() => page.getByTestId('reachability').textContent()).toMatch(/^Not known yet/)
    await page.screenshot({ path: await screenshotPath('node-page-empty') })

    const bobStatus = (await (
      await fetch(`${bob.origin}/api/call/node.status`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bob.token}`, 'Content-Type': 'application/json' },
        body: '{}',
      })
    ).json()) as { result: NodeStatus }
    const bobAddress = bobStatus.result.listenAddresses[0]!

    await page.getByTestId('connect-address').fill('/ip4/999.1.1.1/tcp/1')
    await page.getByTestId('connect-button').click()
    await expect.poll(() => page.getByTestId('connect-error').textContent()).toMatch(/not a multiaddr/)

    await page.getByTestId('connect-address').fill(bobAddress)
    await page.getByTestId('connect-button').click()
    await expect.poll(() => page.getByTestId('peer-list').textContent(), { timeout: 10_000 }).toContain(bob.peerId)
    expect(await page.getByTestId('peer-connection-kind').first().textContent()).toBe('Direct')
    await page.screenshot({ path: await screenshotPath('node-page-connected') })

    // Bob's page, opened in another tab, lists Alice without being asked.
    const bobPage = await browser.newPage()
    await bobPage.goto(bob.url)
    await expect.poll(() => bobPage.getByTestId('peer-list').textContent(), { timeout: 10_000 }).toContain(alice.peerId)
  })

  it('says that it has no peer and keeps dialling its bootstrap peer', async () => {
    // A bootstrap peer that is not there: nothing listens on port 1.
    const absent = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    // Its public range is for the next test, which reuses this node rather than start another.
    const node = await serve(['--bootstrap', `/ip4/127.0.0.1/tcp/1/p2p/${absent}`, '--public-range', '198.18.0.0/24'])
    const page = await browser.newPage()
    await page.goto(node.url)
    await expect
      .poll(() => page.getByTestId('peer-list').textContent(), { timeout: 15_000 })
      .toContain('No peers connected')
    await expect
      .poll(() => page.getByTestId('no-peers').textContent(), { timeout: 15_000 })
      .toMatch(/keeps dialling the peer it knows/)
    await expect
      .poll(() => page.getByTestId('redialing').textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`Trying bootstrap peer ${absent.slice(0, 8)}.*attempt`))
    await page.screenshot({ path: await screenshotPath('node-page-redialing') })
  })

  it('keeps the public ranges the user types for the next start, and names a wrong one', async () => {
    const node = nodes[2]
    if (node === undefined) throw new Error('this test reuses the node of the test before it; run the whole file')
    const page = await browser.newPage()
    await page.goto(node.url)
    await expect
      .poll(() => page.getByTestId('public-ranges-in-effect').textContent())
      .toBe('In effect since the node started: 198.18.0.0/24.')
    await page.getByTestId('public-ranges').fill('100.64.0.0/10, 10.0.0/8')
    await page.getByTestId('save-public-ranges').click()
    await expect
      .poll(() => page.getByTestId('public-ranges-error').textContent())
      .toBe("'10.0.0/8' must be an IPv4 range in CIDR notation, such as 100.64.0.0/10")
    await page.getByTestId('public-ranges').fill('100.64.0.0/10')
    await page.getByTestId('save-public-ranges').click()
    await expect
      .poll(() => page.getByTestId('public-ranges-restart').textContent())
      .toMatch(/take effect at the next start/)
    const settings = (await (
      await fetch(`${node.origin}/api/call/settings.get`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${node.token}`, 'Content-Type': 'application/json' },
        body: '{}',
      })
    ).json()) as { result: { publicRanges?: string[] } }
    expect(settings.result.publicRanges).toEqual(['100.64.0.0/10'])
    await page.reload()
    await expect.poll(() => page.getByTestId('public-ranges').inputValue()).toBe('100.64.0.0/10')
  })

  it("keeps two nodes' pages working side by side in one browser", async () => {
    const [alice, bob] = nodes as [ServedNode, ServedNode]
    const context = await browser.newContext()
    const alicePage = await context.newPage()
    await alicePage.goto(alice.url)
    const bobPage = await context.newPage()
    await bobPage.goto(bob.url)
    await expect.poll(() => bobPage.getByTestId('peer-id').textContent()).toContain(bob.peerId)
    // Alice's page still reaches her node after Bob's page set its own cookie.
    await alicePage.reload()
    await expect.poll(() => alicePage.getByTestId('peer-id').textContent()).toContain(alice.peerId)
    await context.close()
  })

  it('refuses API calls without the token and from a foreign origin', async () => {
    const alice = nodes[0] ?? (await serve())
    const anonymous = await fetch(`${alice.origin}/api/call/node.status`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(anonymous.status).toBe(401)

    // A request from another origin is refused even when it carries the token.
    const foreign = await fetch(`${alice.origin}/api/call/node.status`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${alice.token}`,
        'Content-Type': 'application/json',
        Origin: 'http://attacker.test',
      },
      body: '{}',
    })
    expect(foreign.status).toBe(403)
    expect([...foreign.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([])

    const own = await fetch(`${alice.origin}/api/call/node.status`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.token}`, 'Content-Type': 'application/json', Origin: alice.origin },
      body: '{}',
    })
    expect(own.status).toBe(200)
  })
})
