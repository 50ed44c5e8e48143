// The seller's stored sites: a record and its bundle are written together, the stored view count never
// goes down whatever order concurrent writes finish in, a used-up or replaced site loses its bundle,
// a damaged record is skipped, left alone and logged; and the site server counts a view before sending the
// page (a view it cannot record is answered 503 and still counted, never served for free).
import { afterEach, describe, expect, it } from 'vitest'
import { SiteServer, type HostedSite } from '../../../src/main/core/delivery/site-server'
import { SiteStore, type StoredSite } from '../../../src/main/core/delivery/site-store'
import { openStore, type Store } from '../../../src/main/core/store'
import { recordingLogger, type LoggedError } from '../../helpers/recording-logger'

let store: Store | undefined
let server: SiteServer | undefined
let logged: LoggedError[] = []
afterEach(async () => {
  await server?.stop()
  await store?.close()
  store = undefined
  server = undefined
})

function record(fields: Partial<StoredSite> = {}): StoredSite {
  return {
    site: '0123456789abcdef',
    agreement: 'a1',
    buyer: 'b1',
    quantity: 10,
    views: 0,
    windowEnd: 2e12,
    ended: false,
    seq: 0,
    bundleBytes: 3,
    ...fields,
  }
}

async function siteStore(): Promise<SiteStore> {
  store = await openStore({ dataDir: '/nonexistent', inMemory: true })
  const { logger, errors } = recordingLogger()
  logged = errors
  return new SiteStore(store, logger.forComponent('cyclex:delivery'))
}

describe('the site store', () => {
  it('keeps a record with its bundle, and the highest count of concurrent writes', async () => {
    const sites = await siteStore()
    const current = record()
    await sites.add(current, Uint8Array.of(1, 2, 3))
    expect(new Uint8Array((await sites.bundle(current.site))!)).toEqual(Uint8Array.of(1, 2, 3))
    const writes: Promise<void>[] = []
    for (let view = 1; view <= 20; view++) {
      current.views = view
      writes.push(sites.save(() => ({ ...current })))
    }
    await Promise.all(writes)
    expect(await sites.list()).toEqual([{ ...current, views: 20 }])
  })

  it('drops the bundle of a used-up site and of a replaced one, keeping their records (answered 410)', async () => {
    const sites = await siteStore()
    const old = record()
    await sites.add(old, Uint8Array.of(1))
    const next = record({ site: 'fedcba9876543210' })
    await sites.add(next, Uint8Array.of(2), old)
    expect(await sites.bundle(old.site)).toBeUndefined()
    await sites.save(() => ({ ...next, views: 10, ended: true }))
    expect(await sites.bundle(next.site)).toBeUndefined()
    expect((await sites.list()).map((each) => [each.site, each.ended])).toEqual([
      [old.site, true],
      [next.site, true],
    ])
    await sites.remove(old.site)
    expect((await sites.list()).map((each) => each.site)).toEqual([next.site])
  })

  it('skips a damaged record without deleting it, and refuses to store a malformed one', async () => {
    const sites = await siteStore()
    await store!.jsonSublevel('delivery-sites').put('0123456789abcdef', { site: '0123456789abcdef', views: -1 })
    expect(await sites.list()).toEqual([])
    expect(logged).toEqual([
      { component: 'cyclex:delivery', args: [expect.stringContaining('is not readable'), '0123456789abcdef'] },
    ])
    expect(await store!.jsonSublevel('delivery-sites').get('0123456789abcdef')).toEqual({
      site: '0123456789abcdef',
      views: -1,
    })
    await expect(sites.add(record({ site: '../../etc' }), Uint8Array.of(1))).rejects.toThrow()
    expect(await sites.bundle('../../etc')).toBeUndefined()
  })

  it("remembers the site server's port and ignores a bad stored one", async () => {
    const sites = await siteStore()
    expect(await sites.lastPort()).toBeUndefined()
    await sites.rememberPort(43_210)
    expect(await sites.lastPort()).toBe(43_210)
    await store!.jsonSublevel('delivery-site-server').put('port', { port: 70_000 })
    expect(await sites.lastPort()).toBeUndefined()
  })
})

describe("the site server's count", () => {
  it('counts a view before the page is sent; a view it cannot record is a 503, still counted', async () => {
    let failNext = false
    const counted: number[] = []
    server = new SiteServer({
      host: '127.0.0.1',
      port: 0,
      recordView: async () => {
        if (failNext) throw new Error('disk full')
      },
      onView: (_site, count) => counted.push(count),
    })
    await server.start()
    const site: HostedSite = {
      id: 'abc',
      files: new Map([['index.html', new TextEncoder().encode('<p>hi</p>')]]),
      quantity: 2,
      views: 0,
      windowEnd: Date.now() + 60_000,
      ended: false,
    }
    server.host(site)
    const url = server.urlOf('abc')
    expect((await fetch(url)).status).toBe(200)
    failNext = true
    const failed = await fetch(url)
    expect(failed.status).toBe(503)
    expect(await failed.text()).toMatch(/could not record this page view/)
    failNext = false
    expect(site.views).toBe(2)
    expect((await fetch(url)).status).toBe(410)
    expect(counted).toEqual([1])
  })
})
