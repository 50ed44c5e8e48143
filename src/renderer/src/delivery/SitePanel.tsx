// The buyer's side of a pageview agreement: send a site folder (packed into a .tar here) or a .tar /
// .zip bundle to the seller, then see the URL it serves the site at and the views its receipts count.
import { useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { SiteView } from '../../../shared/api/delivery'
import type { AgreementView } from '../../../shared/api/market'
import { base64OfBytes, pathInsideFolder, tarOfEntries } from './tar'

type Sending = { kind: 'idle' } | { kind: 'sending' } | { kind: 'failed'; message: string }

async function bundleOfFolder(files: FileList): Promise<Uint8Array> {
  const entries = await Promise.all(
    [...files].map(async (file) => ({
      path: pathInsideFolder(file.webkitRelativePath || file.name),
      bytes: new Uint8Array(await file.arrayBuffer()),
    })),
  )
  return tarOfEntries(entries, Math.floor(Date.now() / 1000))
}

/** How often the seller signs receipts for a site, as it said; older sellers do not say. */
export function receiptCadenceText(receiptEveryViews: number | undefined): string {
  if (receiptEveryViews === undefined) return 'signed now and then and at the end'
  return receiptEveryViews === 1
    ? 'signed for every view'
    : `signed every ${receiptEveryViews.toLocaleString('en-US')} views and at the end`
}

export function SitePanel({
  client,
  agreement,
  site,
  viewsFromReceipts,
}: {
  client: ApiClient
  agreement: AgreementView
  site: SiteView | undefined
  viewsFromReceipts: number
}) {
  const [sending, setSending] = useState<Sending>({ kind: 'idle' })
  const [answer, setAnswer] = useState<{ site: string; url: string; quantity: number }>()

  async function send(bundle: Promise<Uint8Array>): Promise<void> {
    setSending({ kind: 'sending' })
    try {
      setAnswer(
        await client.call('delivery.submitSite', { agreement: agreement.id, bundle: base64OfBytes(await bundle) }),
      )
      setSending({ kind: 'idle' })
    } catch (error) {
      setSending({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }

  // The node's view of the site is current (the seller tells a new URL after a restart); the answer
  // only until that view has caught up with the site just sent.
  const url = site && (answer === undefined || site.site === answer.site) ? site.url : answer?.url
  return (
    <div className="delivery-panel" data-testid="site-panel">
      <fieldset className="job-form" disabled={sending.kind === 'sending'}>
        <legend>Send a site to the seller</legend>
        <label htmlFor="site-folder">A site folder</label>
        <input
          id="site-folder"
          data-testid="site-folder"
          type="file"
          multiple
          // React does not know these attributes by name; the browser does.
          {...{ webkitdirectory: '', directory: '' }}
          onChange={(event) =>
            event.target.files && event.target.files.length > 0 && void send(bundleOfFolder(event.target.files))
          }
        />
        <label htmlFor="site-bundle">or a bundle (.tar, .tar.gz, .zip)</label>
        <input
          id="site-bundle"
          data-testid="site-bundle"
          type="file"
          accept=".tar,.tgz,.gz,.zip,application/x-tar,application/zip,application/gzip"
          onChange={(event) => {
            const file = event.target.files?.[0]
            if (file) void send(file.arrayBuffer().then((buffer) => new Uint8Array(buffer)))
          }}
        />
        <p className="hint">
          The seller counts every HTML page it serves as a view, up to the {agreement.quantity.toLocaleString('en-US')}{' '}
          agreed, then answers 410 Gone.
        </p>
      </fieldset>
      <div aria-live="polite">
        {sending.kind === 'sending' && <p>Sending the bundle…</p>}
        {sending.kind === 'failed' && (
          <p className="error" data-testid="site-error">
            {sending.message}
          </p>
        )}
        {url && (
          <p>
            Served at{' '}
            <a href={url} target="_blank" rel="noreferrer noopener" data-testid="site-url">
              {url}
            </a>
          </p>
        )}
        <progress
          className="delivery-progress"
          max={agreement.quantity}
          value={Math.min(viewsFromReceipts, agreement.quantity)}
          aria-label="Views counted by the seller's receipts"
        />
        <p className="hint" data-testid="site-views" data-views={viewsFromReceipts}>
          {viewsFromReceipts.toLocaleString('en-US')} of {agreement.quantity.toLocaleString('en-US')} views counted by
          the seller's receipts ({receiptCadenceText(site?.receiptEveryViews)})
        </p>
        {site && site.views > viewsFromReceipts && (
          <p className="hint" data-testid="site-live-views" data-views={site.views}>
            {site.views.toLocaleString('en-US')} served so far, as the seller says between receipts
          </p>
        )}
      </div>
    </div>
  )
}
