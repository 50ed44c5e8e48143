import { useState, type FormEvent } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import { useSettings } from '../hooks/use-settings'
import { readPublicRanges } from '../lib/public-ranges-input'

/**
 * IPv4 ranges to take for public in a hole punch, from the next start: the app's counterpart of
 * cyclex serve --public-range (docs/scaling.md §3).
 */
export function PublicRangesSetting({ client, inEffect }: { client: ApiClient; inEffect: readonly string[] }) {
  const { settings, update } = useSettings(client, 0)
  const [typed, setTyped] = useState<string>()
  const [error, setError] = useState<string>()
  const [saved, setSaved] = useState(false)
  if (!settings) return null
  const text = typed ?? (settings.publicRanges ?? []).join(', ')
  const save = (event: FormEvent): void => {
    event.preventDefault()
    const read = readPublicRanges(text)
    if ('error' in read) {
      setError(read.error)
      return
    }
    update({ publicRanges: read.ranges }).then(
      () => {
        setError(undefined)
        setTyped(undefined)
        setSaved(true)
      },
      (reason: unknown) => setError(reason instanceof Error ? reason.message : String(reason)),
    )
  }
  return (
    <section className="panel" aria-labelledby="public-ranges-heading">
      <h2 id="public-ranges-heading">Public address ranges</h2>
      <p className="hint">
        Addresses in these IPv4 ranges count as public when this node trades addresses with a peer for a hole punch: a
        carrier-grade NAT’s 100.64.0.0/10, whose customers reach each other at such addresses, or a lab network.
        Separate ranges with commas.
      </p>
      <form className="connect-form" onSubmit={save} noValidate>
        <label htmlFor="public-ranges">Ranges</label>
        <div className="connect-row">
          <input
            id="public-ranges"
            data-testid="public-ranges"
            type="text"
            value={text}
            placeholder="100.64.0.0/10"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error !== undefined}
            aria-describedby={error !== undefined ? 'public-ranges-error' : undefined}
            onChange={(event) => {
              setTyped(event.target.value)
              setError(undefined)
            }}
          />
          <button type="submit" className="button" data-testid="save-public-ranges">
            Save
          </button>
        </div>
      </form>
      <p className="muted" data-testid="public-ranges-in-effect">
        {inEffect.length === 0
          ? 'Now only libp2p’s own judgement decides which addresses are public.'
          : `In effect since the node started: ${inEffect.join(', ')}.`}
      </p>
      {saved && (
        <p className="hint" data-testid="public-ranges-restart">
          Saved: the ranges take effect at the next start of the node.
        </p>
      )}
      {error && (
        <p className="error" role="alert" id="public-ranges-error" data-testid="public-ranges-error">
          {error}
        </p>
      )}
    </section>
  )
}
