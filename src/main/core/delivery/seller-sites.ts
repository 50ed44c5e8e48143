// The seller side of sites: a bundle is checked, kept (site-store.ts) and served (site-server.ts);
// views are counted, receipts signed every receiptEveryViews views and at the end, and the site's buyer
// is told where it is served and how many views it got, within a second of views and after a restart
// (site-announcer.ts). Sites whose window has not ended are served again after a restart.
import type { Logger } from '@libp2p/interface'
import type { SiteView } from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import { encodeSignedReceipt } from '../../../shared/delivery/receipt'
import type { DeliveryComponents, DeliveryInit } from './delivery-init'
import { deliveryLimits } from './delivery-init'
import type { JobChannel } from './job-channel'
import { newJobId } from './job-ids'
import { DeliveryRefusedError, jobProtocol, sendRefusal, withinLimit, type SiteRequest } from './job-protocol'
import type { SellerContext } from './seller-context'
import { SiteAnnouncer, type SiteNotice } from './site-announcer'
import { defaultBundleLimits, unpackBundle } from './site-bundle'
import { SiteServer, type HostedSite } from './site-server'
import { SiteStore, type StoredSite } from './site-store'

/** A site this node serves as seller; its record is kept in level (site-store.ts). */
interface SellerSite extends HostedSite {
  agreementId: string
  buyer: string
  seq: number
  bundleBytes: number
}

function siteRecord(site: SellerSite): StoredSite {
  return {
    site: site.id,
    agreement: site.agreementId,
    buyer: site.buyer,
    quantity: site.quantity,
    views: site.views,
    windowEnd: site.windowEnd,
    ended: site.ended || site.views >= site.quantity,
    seq: site.seq,
    bundleBytes: site.bundleBytes,
  }
}

export class SellerSites {
  /** The site each agreement serves now, and every site known by id (replaced ones answer 410). */
  private readonly siteOfAgreement = new Map<string, SellerSite>()
  private readonly sites = new Map<string, SellerSite>()
  private readonly store: SiteStore
  private readonly log: Logger
  private readonly server: SiteServer
  private readonly announcer: SiteAnnouncer
  /** Sites whose buyer is told the live view count soon (at most once a second each): receipts come only every receiptEveryViews. */
  private readonly viewNotices = new Map<string, ReturnType<typeof setTimeout>>()
  private running = false
  private publicSiteAddress: { host: string; port: number } | null = null

  constructor(
    private readonly context: SellerContext,
    private readonly components: Pick<DeliveryComponents, 'libp2p' | 'store' | 'logger' | 'publicSiteAddress'>,
    private readonly init: DeliveryInit,
  ) {
    this.log = components.logger.forComponent('cyclex:delivery')
    this.store = new SiteStore(components.store, this.log)
    this.server = new SiteServer({
      host: init.siteHost ?? '127.0.0.1',
      port: init.sitePort ?? 0,
      ...(init.siteAnnounceHost ? { announceHost: init.siteAnnounceHost } : {}),
      now: () => context.now(),
      recordView: async (site) => {
        const hosted = this.sites.get(site.id)
        if (hosted) await this.store.save(() => siteRecord(hosted))
      },
      onView: (site, count) =>
        void this.viewed(site, count).catch((error: unknown) =>
          this.log.error('signing a site receipt failed - %e', error),
        ),
    })
    this.announcer = new SiteAnnouncer({
      libp2p: components.libp2p,
      protocol: jobProtocol,
      notice: (site) => this.notice(site),
      log: this.log,
    })
  }

  /** Tell the buyers of the sites served again where they are served now (after restore). */
  announce(): void {
    this.running = true
    this.announcer.start()
    // The sites served again may be on another port than before the restart: their buyers are told.
    this.announcer.announce([...this.siteOfAgreement.values()].map((site) => site.id))
  }

  async stop(): Promise<void> {
    this.running = false
    this.announcer.stop()
    for (const timer of this.viewNotices.values()) clearTimeout(timer)
    this.viewNotices.clear()
    await this.server.stop()
    await this.store.flush().catch(() => undefined)
  }

  list(): SiteView[] {
    return [...this.siteOfAgreement.values()].map((site) => ({
      site: site.id,
      agreement: site.agreementId,
      role: 'seller',
      url: this.server.running ? this.server.urlOf(site.id) : '',
      views: site.views,
      quantity: site.quantity,
      state: site.ended || site.views >= site.quantity ? 'ended' : 'serving',
    }))
  }

  async answerSite(channel: JobChannel, request: SiteRequest, requester: string): Promise<void> {
    const { context } = this
    let agreement: AgreementView
    let windowEnd: number
    try {
      ;({ agreement, windowEnd } = context.agreementFor(request.agreement, requester, 'pageview'))
    } catch (error) {
      return sendRefusal(channel, error)
    }
    const site = request.site ?? newJobId()
    const refusal = async (reason: string): Promise<void> => {
      const receipt = await context.receipts.issue({
        agreement: agreement.id,
        buyer: agreement.buyer,
        unit: 'pageview',
        job: site,
        seq: 0,
        status: 'refused',
        delivered: 0,
        agreementDelivered: context.receipts.delivered(agreement.id),
        reason: reason.slice(0, 512),
      })
      await sendRefusal(channel, new DeliveryRefusedError(reason), encodeSignedReceipt(receipt))
    }
    if (!context.policy().enabled) return refusal('the seller is not lending its machine now')
    const viewsSoFar = context.receipts.delivered(agreement.id)
    if (viewsSoFar >= agreement.quantity)
      return refusal(`the ${agreement.quantity} page views of agreement ${agreement.id} are used`)
    let files
    let bundle: Uint8Array
    try {
      bundle = withinLimit(request.bundle, 'the bundle', deliveryLimits(this.init).bundleBytes).slice()
      files = unpackBundle(bundle, this.init.bundleLimits ?? defaultBundleLimits)
    } catch (error) {
      return refusal(`the bundle is refused: ${(error as Error).message}`)
    }
    const previous = this.siteOfAgreement.get(agreement.id)
    const hosted: SellerSite = {
      id: site,
      files,
      quantity: agreement.quantity,
      views: viewsSoFar,
      windowEnd,
      ended: false,
      agreementId: agreement.id,
      buyer: agreement.buyer,
      seq: previous?.seq ?? 0,
      bundleBytes: bundle.length,
    }
    try {
      // Kept before it is served: a restart within the window serves it again (restore).
      await this.store.add(siteRecord(hosted), bundle, previous ? siteRecord(previous) : undefined)
      await this.startServer()
    } catch (error) {
      return refusal(`the seller could not keep or serve the bundle: ${(error as Error).message}`)
    }
    if (previous) previous.ended = true
    this.siteOfAgreement.set(agreement.id, hosted)
    this.sites.set(site, hosted)
    this.server.host(hosted)
    await channel.send({
      type: 'serving',
      site,
      url: this.server.urlOf(site),
      quantity: agreement.quantity,
      views: viewsSoFar,
      receiptEveryViews: context.policy().receiptEveryViews,
    })
  }

  /** What a site's buyer is told (site-announcer.ts): only a site still served, and the agreement's current one. */
  private notice(siteId: string): SiteNotice | undefined {
    const site = this.sites.get(siteId)
    if (
      !site ||
      site.ended ||
      site.views >= site.quantity ||
      this.siteOfAgreement.get(site.agreementId) !== site ||
      !this.server.running
    )
      return undefined
    return {
      buyer: site.buyer,
      message: {
        type: 'serving',
        agreement: site.agreementId,
        site: site.id,
        url: this.server.urlOf(site.id),
        quantity: site.quantity,
        views: site.views,
        receiptEveryViews: this.context.policy().receiptEveryViews,
      },
    }
  }

  private async startServer(): Promise<void> {
    if (!this.server.running) {
      await this.server.start(await this.store.lastPort())
      await this.store.rememberPort(this.server.port)
    }
    // Visitors from the internet reach the server through the home router when it forwards a port
    // here; asked each time until it does (the node may find itself reachable later).
    if (this.publicSiteAddress === null && this.components.publicSiteAddress) {
      const listen = { host: this.init.siteHost ?? '127.0.0.1', port: this.server.port }
      this.publicSiteAddress = await this.components.publicSiteAddress(listen).catch((error: unknown) => {
        this.log.error('sites stay served at %s:%d only - %s', listen.host, listen.port, (error as Error).message)
        return null
      })
      if (this.publicSiteAddress !== null) this.server.announceAt(this.publicSiteAddress)
    }
  }

  /**
   * The sites this node served before it stopped: those whose window has not ended are served again
   * under the same path, counting on from the stored count (or the receipts', if higher); the port
   * is the one used before when it is free. A bundle that no longer unpacks is reported and not served.
   */
  async restore(): Promise<void> {
    const now = this.context.now()
    for (const record of await this.store.list()) {
      if (now > record.windowEnd) {
        await this.store.remove(record.site)
        continue
      }
      const views = record.ended
        ? record.views
        : Math.max(record.views, this.context.receipts.delivered(record.agreement))
      const seq = Math.max(record.seq, this.context.latestSeq(record.agreement, record.site) ?? 0)
      let files: HostedSite['files'] = new Map()
      if (!record.ended && views < record.quantity) {
        try {
          const bundle = await this.store.bundle(record.site)
          if (bundle === undefined) throw new Error('its bundle is missing from the store')
          files = unpackBundle(bundle, this.init.bundleLimits ?? defaultBundleLimits)
        } catch (error) {
          this.log.error(
            'site %s of agreement %s cannot be served again - %s',
            record.site,
            record.agreement,
            (error as Error).message,
          )
          continue
        }
      }
      const hosted: SellerSite = {
        id: record.site,
        files,
        quantity: record.quantity,
        views,
        windowEnd: record.windowEnd,
        ended: record.ended,
        agreementId: record.agreement,
        buyer: record.buyer,
        seq,
        bundleBytes: record.bundleBytes,
      }
      this.sites.set(hosted.id, hosted)
      if (!record.ended) this.siteOfAgreement.set(record.agreement, hosted)
      this.server.host(hosted)
    }
    if (this.sites.size > 0) await this.startServer()
  }

  /**
   * Tell the site's buyer the views served so far within a second (the same `serving` notice a
   * restarted seller sends, site-announcer.ts): receipts are signed only every receiptEveryViews views.
   */
  private tellViewsSoon(site: string): void {
    if (this.viewNotices.has(site) || !this.running) return
    const timer = setTimeout(() => {
      this.viewNotices.delete(site)
      this.announcer.announce([site])
    }, this.init.viewNoticeMs ?? 1_000)
    timer.unref?.()
    this.viewNotices.set(site, timer)
  }

  private async viewed(site: HostedSite, count: number): Promise<void> {
    const hosted = this.sites.get(site.id)
    if (!hosted) return
    this.tellViewsSoon(hosted.id)
    const every = this.context.policy().receiptEveryViews
    const atEnd = count >= hosted.quantity
    if (!atEnd && count % every !== 0) return
    hosted.seq++
    const delivered = this.context.receipts.delivered(hosted.agreementId)
    await this.context.receipts.issue({
      agreement: hosted.agreementId,
      buyer: hosted.buyer,
      unit: 'pageview',
      job: hosted.id,
      seq: hosted.seq,
      status: atEnd ? 'ended' : 'serving',
      delivered: count,
      agreementDelivered: Math.max(delivered, count),
    })
    await this.store.save(() => siteRecord(hosted))
  }
}
