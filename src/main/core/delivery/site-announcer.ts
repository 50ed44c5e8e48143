// A seller that restarts serves its sites again, but not always at the same URL: when the port it used
// is taken by then, the site server listens on another one (site-server.ts). The buyer learned the URL
// from the seller's `serving` answer and has no other way to know, so after a restart the seller sends
// each restored site's buyer that message again, unasked, on /cyclex/job/1.0.0: at start to the buyers
// connected then, and to the others when they connect. Once per run and site, whether the URL changed
// or not (the buyer may have missed an earlier notice). A buyer that answers, `noted` or `refused`, has
// been told; one that cannot be reached is told at its next connection. The URL goes only to the
// buyer, over its own connection: anyone who has it can use up the agreed views. The same notice
// carries the views served so far, so the seller also sends it within a second of views being served
// (seller-sites.ts, tellViewsSoon): the buyer sees a live count between receipts.
import type { Libp2p, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { openStream } from '../network/open-stream'
import { JobChannel } from './job-channel'

/** What to tell a site's buyer now. */
export interface SiteNotice {
  buyer: string
  message: {
    type: 'serving'
    agreement: string
    site: string
    url: string
    quantity: number
    views: number
    receiptEveryViews?: number
  }
}

export interface SiteAnnouncerComponents {
  libp2p: Pick<Libp2p, 'dialProtocol' | 'getConnections' | 'getPeers' | 'addEventListener' | 'removeEventListener'>
  protocol: string
  /** The notice for a site as it is served now; undefined when the site needs none any more (ended, replaced). */
  notice(site: string): SiteNotice | undefined
  /** Deadline of the dial and of each frame. Default 15 s. */
  timeoutMs?: number
  /** The delivery service's log. */
  log: Logger
}

const maxAnswerBytes = 64 * 1024

export class SiteAnnouncer implements Startable {
  /** Sites whose buyer has not been told this run. */
  private readonly untold = new Set<string>()
  private readonly sending = new Set<string>()
  /** Sites announced again while a notice of theirs was on its way: the buyer is told once more after it. */
  private readonly again = new Set<string>()
  private readonly streams = new Set<Stream>()
  private stopping = new AbortController()
  private running = false

  private readonly onPeerConnect = (event: CustomEvent<PeerId>): void => {
    this.tellBuyer(event.detail.toString())
  }

  constructor(private readonly components: SiteAnnouncerComponents) {}

  start(): void {
    if (this.running) return
    this.stopping = new AbortController()
    this.running = true
    this.components.libp2p.addEventListener('peer:connect', this.onPeerConnect)
  }

  stop(): void {
    if (!this.running) return
    this.running = false
    this.components.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    this.stopping.abort(new Error('the node is stopping'))
    for (const stream of this.streams) stream.abort(new Error('the node is stopping'))
  }

  /** Tell the buyers of these sites where they are served now: at once if connected, else when they connect. */
  announce(sites: Iterable<string>): void {
    for (const site of sites) {
      this.untold.add(site)
      if (this.sending.has(site)) this.again.add(site)
    }
    const connected = new Set(this.components.libp2p.getPeers().map((peer) => peer.toString()))
    for (const buyer of connected) this.tellBuyer(buyer)
  }

  private tellBuyer(buyer: string): void {
    if (!this.running) return
    for (const site of this.untold) {
      const notice = this.components.notice(site)
      if (notice === undefined) this.untold.delete(site)
      else if (notice.buyer === buyer && !this.sending.has(site)) void this.send(site, notice)
    }
  }

  private async send(site: string, notice: SiteNotice): Promise<void> {
    this.sending.add(site)
    const timeoutMs = this.components.timeoutMs ?? 15_000
    let stream: Stream | undefined
    try {
      stream = await openStream(this.components.libp2p, peerIdFromString(notice.buyer), this.components.protocol, {
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping.signal]),
        runOnLimitedConnection: true,
      })
      this.streams.add(stream)
      const channel = new JobChannel(stream, maxAnswerBytes)
      await channel.send(notice.message, timeoutMs)
      const answer = await channel.receive(timeoutMs)
      if (answer !== null) this.untold.delete(site)
      await stream.close().catch(() => undefined)
    } catch (error) {
      stream?.abort(error as Error)
      if (this.running)
        this.components.log.error(
          'telling buyer %s where site %s is served failed (%s); it is told at its next connection',
          notice.buyer,
          site,
          (error as Error).message,
        )
    } finally {
      this.sending.delete(site)
      if (stream) this.streams.delete(stream)
      if (this.again.delete(site)) {
        this.untold.add(site)
        this.tellBuyer(notice.buyer)
      }
    }
  }
}
