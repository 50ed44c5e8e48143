// The buyer side of sites: send a bundle to the agreement's seller, and know where each site this
// node bought is served, from the seller's answer and from its notices (after a restart, and with the
// live view count between receipts). Kept in 'delivery-buyer-sites', one record per agreement.
import type { Logger } from '@libp2p/interface'
import type { SiteView } from '../../../shared/api/delivery'
import { SiteViewSchema } from '../../../shared/api/delivery'
import type { ApiEvent } from '../../../shared/api/contract'
import { ConnectionError } from '../../../shared/errors'
import type { Store, Sublevel } from '../store'
import { decodeBase64 } from './buyer-jobs'
import { maxFrameOverhead } from './delivery-init'
import type { JobChannel } from './job-channel'
import { DeliveryRefusedError, readMessage, SiteAnswerSchema, type Serving } from './job-protocol'
import { newJobId } from './job-ids'
import { buyerAgreement, type BuyerContext } from './seller-dial'

export class BuyerSites {
  /** By agreement: where each site is served, as its seller last said. */
  private readonly sites = new Map<string, SiteView>()
  private readonly db: Sublevel<SiteView>
  /** Writes one after another, so the last view of a site is the one stored. */
  private writes: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly context: BuyerContext,
    store: Store,
    private readonly emit: (event: ApiEvent) => void,
    private readonly log: Logger,
  ) {
    this.db = store.jsonSublevel('delivery-buyer-sites')
  }

  list(): SiteView[] {
    return [...this.sites.values()]
  }

  async submit(params: {
    agreement: string
    bundle: string
  }): Promise<{ site: string; url: string; quantity: number }> {
    const agreement = buyerAgreement(this.context.agreements(), params.agreement, 'pageview')
    const bundle = decodeBase64(params.bundle, 'bundle')
    const site = newJobId()
    const channel = await this.context.open(agreement, maxFrameOverhead)
    try {
      await channel.send({ type: 'site', agreement: agreement.id, site, bundle }, 60_000)
      const message = await channel.receive(60_000)
      if (message === null) throw new ConnectionError('the seller closed the stream without an answer')
      const answer = readMessage(SiteAnswerSchema, message)
      if (answer.type === 'refused') {
        await this.context.keepReceipt(answer.receipt)
        throw new DeliveryRefusedError(answer.message)
      }
      if (answer.url === undefined)
        throw new DeliveryRefusedError('the seller answered with a site URL that is not an http or https URL')
      this.show({
        site,
        agreement: agreement.id,
        role: 'buyer',
        url: answer.url,
        views: Math.min(answer.views, agreement.quantity),
        quantity: agreement.quantity,
        state: 'serving',
        ...cadence(answer),
      })
      return { site, url: answer.url, quantity: agreement.quantity }
    } finally {
      await channel.stream.close().catch(() => undefined)
    }
  }

  /**
   * The seller says, unasked, where a site of this node's is served now (after its restart, maybe on
   * another port: site-announcer.ts), and how many views it served. Taken from the agreement's seller
   * only, for the site this node sent (or any, when this node has forgotten it), with an http(s) URL.
   */
  async noteServing(channel: JobChannel, notice: Serving, sender: string): Promise<void> {
    const id = notice.agreement.slice(0, 512)
    const agreement = this.context.agreements().find((each) => each.id === id)
    const known = this.sites.get(id)
    const refuse = (message: string): Promise<void> =>
      channel.send({ type: 'refused', code: DeliveryRefusedError.code, message })
    if (!agreement || agreement.role !== 'buyer' || agreement.seller !== sender || agreement.unit !== 'pageview') {
      return refuse(`this node buys no page views from ${sender} under agreement ${id}`)
    }
    if (notice.site === undefined || (known !== undefined && known.site !== notice.site))
      return refuse(`site ${notice.site ?? '?'} is not the one this node sent for agreement ${id}`)
    if (notice.url === undefined) return refuse('the site URL is not an http or https URL')
    this.show({
      site: notice.site,
      agreement: id,
      role: 'buyer',
      url: notice.url,
      views: Math.min(notice.views, agreement.quantity),
      quantity: agreement.quantity,
      state: 'serving',
      ...cadence(notice),
    })
    await channel.send({ type: 'noted' })
  }

  /** The sites this node bought, as stored: a restarted buyer still knows where they are served. */
  async restore(): Promise<void> {
    for await (const [agreement, stored] of this.db.iterator()) {
      const view = SiteViewSchema.safeParse(stored)
      if (view.success && view.data.role === 'buyer' && view.data.agreement === agreement)
        this.sites.set(agreement, view.data)
      else this.log.error('a stored site of agreement %s is damaged and was skipped', agreement)
    }
  }

  async flush(): Promise<void> {
    await this.writes
  }

  private show(view: SiteView): void {
    this.sites.set(view.agreement, view)
    this.writes = this.writes
      .then(() => this.db.put(view.agreement, view))
      .catch((error: unknown) => this.log.error('storing where site %s is served failed - %e', view.site, error))
    this.emit({ type: 'delivery.site', data: view })
  }
}

function cadence(serving: Serving): { receiptEveryViews?: number } {
  return serving.receiptEveryViews === undefined ? {} : { receiptEveryViews: serving.receiptEveryViews }
}
