import { useState, type FormEvent } from 'react'
import { defaultHistoryRetentionDays, maxHistoryRetentionDays, type Settings } from '../../../shared/api/contract'
import type { ApiClient } from '../../../shared/api/contract'
import { StableLabel } from '../components/StableLabel'
import { PolicySection } from '../delivery/PolicySection'
import type { SettingsView } from '../hooks/use-settings'
import type { Theme } from '../lib/theme'
import { PageHeader } from './PageHeader'

const themeChoices: readonly { value: Theme; label: string; hint: string }[] = [
  { value: 'system', label: 'System', hint: 'Follow the operating system' },
  { value: 'light', label: 'Light', hint: 'Dark text on light surfaces' },
  { value: 'dark', label: 'Dark', hint: 'Light text on dark surfaces' },
]

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The node's settings, as the node keeps them: every change is saved at once. */
export function SettingsPage({
  view,
  client,
  generation,
}: {
  view: SettingsView
  client: ApiClient
  generation: number
}) {
  const { settings, error, update } = view
  return (
    <>
      <PageHeader title="Settings" />
      {error && !settings && (
        <p className="panel error-panel" role="alert">
          Cannot read the settings: {error.message}
        </p>
      )}
      {!settings && !error && <p className="panel loading">Loading the settings…</p>}
      {settings && (
        <>
          <ProfileSection displayName={settings.displayName} update={update} />
          <AppearanceSection theme={settings.theme} update={update} />
          <SavedPeersSection savedPeers={settings.savedPeers} update={update} />
          <TrustSection blockOverCommitted={settings.blockOverCommitted} update={update} />
          <HistorySection days={settings.historyRetentionDays ?? defaultHistoryRetentionDays} update={update} />
        </>
      )}
      <PolicySection client={client} generation={generation} />
    </>
  )
}

type Update = SettingsView['update']

type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'failed'; message: string }

function ProfileSection({ displayName, update }: { displayName: string; update: Update }) {
  const [draft, setDraft] = useState(displayName)
  const [state, setState] = useState<SaveState>({ kind: 'idle' })
  // When the name changes on the node (another window, the headless page), the field follows it
  // unless the user has typed something of their own.
  const [lastSavedName, setLastSavedName] = useState(displayName)
  if (displayName !== lastSavedName) {
    setLastSavedName(displayName)
    if (draft === lastSavedName) setDraft(displayName)
  }

  async function save(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault()
    const name = draft.trim()
    setDraft(name)
    setState({ kind: 'saving' })
    try {
      await update({ displayName: name })
      setState({ kind: 'saved' })
    } catch (error) {
      setState({ kind: 'failed', message: messageOf(error) })
    }
  }

  return (
    <section className="panel" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <form onSubmit={(event) => void save(event)} noValidate>
        <label htmlFor="display-name">Display name</label>
        <div className="connect-row">
          <input
            id="display-name"
            data-testid="display-name"
            type="text"
            value={draft}
            maxLength={64}
            onChange={(event) => {
              setDraft(event.target.value)
              setState({ kind: 'idle' })
            }}
            autoComplete="nickname"
            aria-describedby="display-name-hint display-name-message"
          />
          <button type="submit" className="button button-primary" data-testid="save-display-name">
            <StableLabel
              texts={{ idle: 'Save', busy: 'Saving…' }}
              current={state.kind === 'saving' ? 'busy' : 'idle'}
            />
          </button>
        </div>
        <p id="display-name-hint" className="hint">
          The name other members see. Left empty, they see your peer ID.
        </p>
        <div id="display-name-message" className="form-message" aria-live="polite">
          {state.kind === 'saved' && <p className="success">Saved</p>}
          {state.kind === 'failed' && <p className="error">{state.message}</p>}
        </div>
      </form>
    </section>
  )
}

/** What the node does on its own about a party the market's facts prove dishonest (docs/matcher.md §2a). */
function TrustSection({ blockOverCommitted, update }: { blockOverCommitted: boolean; update: Update }) {
  const [failure, setFailure] = useState<string>()

  function toggle(next: boolean): void {
    setFailure(undefined)
    update({ blockOverCommitted: next }).catch((error: unknown) => setFailure(messageOf(error)))
  }

  return (
    <section className="panel" aria-labelledby="trust-heading">
      <h2 id="trust-heading">Dishonest parties</h2>
      <label className="choice">
        <input
          type="checkbox"
          checked={blockOverCommitted}
          data-testid="block-overcommitted"
          onChange={(event) => toggle(event.target.checked)}
        />
        <span className="choice-label">Block a party proven to over-commit</span>
        <span className="hint">
          A seller whose signed confirms exceed its ask, or a buyer whose takes in force at once exceed its bid, is
          proven to over-commit by the facts every node holds. The market already voids the excess; blocking also stops
          this node from connecting to the party.
        </span>
      </label>
      <div className="form-message" aria-live="polite">
        {failure !== undefined && <p className="error">{failure}</p>}
      </div>
    </section>
  )
}

/** How long the node keeps this user's own agreements, with their jobs, once delivery is over. */
function HistorySection({ days, update }: { days: number; update: Update }) {
  const [draft, setDraft] = useState(String(days))
  const [state, setState] = useState<SaveState>({ kind: 'idle' })
  const [lastSaved, setLastSaved] = useState(days)
  if (days !== lastSaved) {
    setLastSaved(days)
    setDraft(String(days))
  }

  async function save(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault()
    const value = Number(draft)
    if (!/^\d+$/.test(draft.trim()) || value < 1 || value > maxHistoryRetentionDays) {
      setState({ kind: 'failed', message: `A whole number of days from 1 to ${maxHistoryRetentionDays}` })
      return
    }
    setState({ kind: 'saving' })
    try {
      await update({ historyRetentionDays: value })
      setState({ kind: 'saved' })
    } catch (error) {
      setState({ kind: 'failed', message: messageOf(error) })
    }
  }

  return (
    <section className="panel" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <form onSubmit={(event) => void save(event)} noValidate>
        <label htmlFor="history-days">Keep my agreements for (days after their delivery window ends)</label>
        <div className="connect-row">
          <input
            id="history-days"
            data-testid="history-days"
            type="number"
            min={1}
            max={maxHistoryRetentionDays}
            value={draft}
            onChange={(event) => {
              setDraft(event.target.value)
              setState({ kind: 'idle' })
            }}
            aria-describedby="history-days-hint history-days-message"
          />
          <button type="submit" className="button button-primary" data-testid="save-history-days">
            <StableLabel
              texts={{ idle: 'Save', busy: 'Saving…' }}
              current={state.kind === 'saving' ? 'busy' : 'idle'}
            />
          </button>
        </div>
        <p id="history-days-hint" className="hint">
          The Deals page lists each of your agreements, with its jobs, until this many days after its delivery window
          ended; then the node drops them. Default {defaultHistoryRetentionDays} days. Delivery and checks end with the
          window, so nothing still in use is dropped. <code>cyclex serve --keep-history-days N</code> sets the same.
        </p>
        <div id="history-days-message" className="form-message" aria-live="polite">
          {state.kind === 'saved' && <p className="success">Saved</p>}
          {state.kind === 'failed' && <p className="error">{state.message}</p>}
        </div>
      </form>
    </section>
  )
}

function AppearanceSection({ theme, update }: { theme: Theme; update: Update }) {
  const [failure, setFailure] = useState<string>()

  function choose(next: Theme): void {
    setFailure(undefined)
    update({ theme: next }).catch((error: unknown) => setFailure(messageOf(error)))
  }

  return (
    <section className="panel" aria-labelledby="appearance-heading">
      <h2 id="appearance-heading">Appearance</h2>
      <fieldset className="choices">
        <legend>Theme</legend>
        {themeChoices.map((choice) => (
          <label key={choice.value} className="choice">
            <input
              type="radio"
              name="theme"
              value={choice.value}
              data-testid={`theme-${choice.value}`}
              checked={theme === choice.value}
              onChange={() => choose(choice.value)}
            />
            <span className="choice-label">{choice.label}</span>
            <span className="hint">{choice.hint}</span>
          </label>
        ))}
      </fieldset>
      <div className="form-message" aria-live="polite">
        {failure !== undefined && <p className="error">{failure}</p>}
      </div>
    </section>
  )
}

function SavedPeersSection({ savedPeers, update }: { savedPeers: Settings['savedPeers']; update: Update }) {
  const [failure, setFailure] = useState<string>()

  function remove(address: string): void {
    setFailure(undefined)
    update({ savedPeers: savedPeers.filter((saved) => saved !== address) }).catch((error: unknown) =>
      setFailure(messageOf(error)),
    )
  }

  return (
    <section className="panel" aria-labelledby="saved-peers-heading">
      <h2 id="saved-peers-heading">
        Saved peers <span className="count">{savedPeers.length}</span>
      </h2>
      <p className="hint">The node connects to these at every start, besides its bootstrap addresses.</p>
      {savedPeers.length === 0 ? (
        <div className="empty-state" data-testid="saved-peers">
          <p className="empty-state-title">No saved peers</p>
          <p>Tick “Remember this peer” when you connect to a peer on the Node page, and it is listed here.</p>
        </div>
      ) : (
        <ul className="address-list" data-testid="saved-peers">
          {savedPeers.map((address) => (
            <li key={address} className="copyable" data-testid="saved-peer-row">
              <code>{address}</code>
              <button
                type="button"
                className="button button-small"
                aria-label={`Remove saved peer ${address}`}
                onClick={() => remove(address)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="form-message" aria-live="polite">
        {failure !== undefined && <p className="error">{failure}</p>}
      </div>
    </section>
  )
}
