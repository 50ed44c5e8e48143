// The seller's served sites, kept in level so that a restart within an agreement's window serves the
// same site and goes on counting from where it was. Two sublevels: 'delivery-sites' holds a small JSON
// record per site (its agreement, views counted, window, receipts' seq), 'delivery-site-bundles' the
// bundle exactly as the buyer sent it (a tar, tar.gz or zip, unpacked into memory again at start with
// the same checks; nothing is ever extracted to disk). A record and its bundle are written in one batch.
// The view count is written before each page is sent (site-server.ts), one write after another, each
// with the count at the time it runs, so the stored count never goes down.
import type { Logger } from '@libp2p/interface'
import { z } from 'zod'
import type { AbstractBatchOperation, AbstractSublevel } from 'abstract-level'
import type { RootDatabase, Store, Sublevel } from '../store'

const whole = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)

export const StoredSiteSchema = z
  .object({
    site: z.string().regex(/^[0-9a-f]{16}$/),
    agreement: z.string().min(1).max(128),
    buyer: z.string().min(1).max(128),
    quantity: whole,
    /** Views counted for the agreement so far (this site's and earlier sites' of the same agreement). */
    views: whole,
    windowEnd: whole,
    /** Replaced by a newer bundle, or its views used: answered 410, its bundle deleted. */
    ended: z.boolean(),
    /** The seq of the last receipt signed for this site. */
    seq: whole,
    bundleBytes: whole,
  })
  .strict()
export type StoredSite = z.infer<typeof StoredSiteSchema>

type BundleSublevel = AbstractSublevel<RootDatabase, string | Uint8Array, string, Uint8Array>
type Operation =
  | { type: 'put'; sublevel: Sublevel<unknown> | Sublevel<StoredSite> | BundleSublevel; key: string; value: unknown }
  | { type: 'del'; sublevel: Sublevel<unknown> | BundleSublevel; key: string }

export class SiteStore {
  private readonly records: Sublevel<unknown>
  private readonly bundles: BundleSublevel
  private readonly server: Sublevel<{ port: number }>
  private writes: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {
    this.records = store.jsonSublevel('delivery-sites')
    this.bundles = store.db.sublevel<string, Uint8Array>('delivery-site-bundles', { valueEncoding: 'view' })
    this.server = store.jsonSublevel('delivery-site-server')
  }

  /** Every readable record; one that does not parse (a damaged store) is reported and left as it is. */
  async list(): Promise<StoredSite[]> {
    const out: StoredSite[] = []
    for await (const [key, value] of this.records.iterator()) {
      const parsed = StoredSiteSchema.safeParse(value)
      if (parsed.success && parsed.data.site === key) out.push(parsed.data)
      else this.log.error('the stored site record %s is not readable; it is left in the store and not served', key)
    }
    return out
  }

  async bundle(site: string): Promise<Uint8Array | undefined> {
    return this.bundles.get(site)
  }

  /** A new site and its bundle; the agreement's previous site, if any, ended and its bundle dropped, in the same batch. */
  async add(record: StoredSite, bundle: Uint8Array, replaced?: StoredSite): Promise<void> {
    const operations: Operation[] = [
      { type: 'put', sublevel: this.bundles, key: record.site, value: bundle },
      { type: 'put', sublevel: this.records, key: record.site, value: StoredSiteSchema.parse(record) },
    ]
    if (replaced) {
      operations.push(
        { type: 'put', sublevel: this.records, key: replaced.site, value: { ...replaced, ended: true } },
        { type: 'del', sublevel: this.bundles, key: replaced.site },
      )
    }
    return this.queue(() => this.batch(operations))
  }

  /** Write the record as it is when the write runs (the count only grows, so a later write never lowers it). */
  save(current: () => StoredSite): Promise<void> {
    return this.queue(async () => {
      const record = current()
      if (record.ended) {
        await this.batch([
          { type: 'put', sublevel: this.records, key: record.site, value: record },
          { type: 'del', sublevel: this.bundles, key: record.site },
        ])
      } else await this.records.put(record.site, record)
    })
  }

  /** Forget a site whose agreement's window has ended. */
  remove(site: string): Promise<void> {
    return this.queue(() =>
      this.batch([
        { type: 'del', sublevel: this.records, key: site },
        { type: 'del', sublevel: this.bundles, key: site },
      ]),
    )
  }

  async lastPort(): Promise<number | undefined> {
    const stored = await this.server.get('port')
    return typeof stored?.port === 'number' && Number.isInteger(stored.port) && stored.port > 0 && stored.port < 65_536
      ? stored.port
      : undefined
  }

  rememberPort(port: number): Promise<void> {
    return this.queue(() => this.server.put('port', { port }))
  }

  private batch(operations: Operation[]): Promise<void> {
    // abstract-level encodes each operation with its sublevel's encoding; its types know only the root's.
    return this.store.db.batch(operations as unknown as AbstractBatchOperation<RootDatabase, string, string>[])
  }

  /** Every write waits for the one before: the count is written in the order views were counted. */
  private queue(write: () => Promise<unknown>): Promise<void> {
    const next = this.writes.then(write)
    this.writes = next.catch(() => undefined)
    return next.then(() => undefined)
  }

  async flush(): Promise<void> {
    await this.writes
  }
}
