import { useState, type FormEvent } from 'react'
import type { ApiClient, NodeStatus, PeerConnection, RedialState } from '../../../shared/api/contract'
import { CopyButton } from '../components/CopyButton'
import { StableLabel } from '../components/StableLabel'
import type { NodeStatusView } from '../hooks/use-node-status'
import { useSettings } from '../hooks/use-settings'
import { useNow } from '../hooks/use-now'
import { formatAge, formatLatency, formatPeerCount } from '../lib/format'
import { reservationRetryText } from '../lib/reservation-retry-text'
import { PageHeader } from './PageHeader'
import { PublicRangesSetting } from './PublicRangesSetting'

/** The node itself: who it is, where it listens, whom it is connected to, and a way to connect. */
export function NodePage({ client, node }: { client: ApiClient; node: NodeStatusView }) {
  const { status, error } = node
  return (
    <>
      <PageHeader title="Node">
        {status && (
          <span
            className="badge"
            title={status.privateNetwork ? 'Only peers holding the same swarm key can connect' : undefined}
          >
            {status.privateNetwork ? 'Private network' : 'Public network'}
          </span>
        )}
      </PageHeader>
      {error && !status && (
        <p className="panel error-panel" role="alert">
          Cannot read the node’s status: {error.message}
        </p>
      )}
      {!status && !error && <p className="panel loading">Loading the node’s status…</p>}
      {status && (
        <>
          <IdentitySection status={status} />
          <ReachabilitySection status={status} />
          <PeersSection client={client} peers={status.peers} redialing={status.redialing} onConnected={node.refresh} />
          <RelaySetting client={client} offering={status.reachability.relayService !== null} />
          <PublicRangesSetting client={client} inEffect={status.publicRanges} />
        </>
      )}
    </>
  )
}

function IdentitySection({ status }: { status: NodeStatus }) {
  return (
    <section className="panel" aria-labelledby="identity-heading">
      <h2 id="identity-heading">Identity</h2>
      <dl className="fields">
        <dt>Peer ID</dt>
        <dd className="copyable">
          <code data-testid="peer-id">{status.peerId}</code>
          <CopyButton text={status.peerId} label="Copy peer ID" testId="copy-peer-id" />
        </dd>
        <dt>Listen addresses</dt>
        <dd>
          {status.listenAddresses.length === 0 ? (
            <p className="muted" data-testid="listen-addresses">
              The node listens on no address, so other nodes cannot dial it; it can still dial them.
            </p>
          ) : (
            <ul className="address-list" data-testid="listen-addresses">
              {status.listenAddresses.map((address) => (
                <li key={address} className="copyable">
                  <code>{address}</code>
                  <CopyButton text={address} label={`Copy address ${address}`} />
                </li>
              ))}
            </ul>
          )}
          <p className="hint">Give one of these to another node so it can connect to this one.</p>
        </dd>
      </dl>
    </section>
  )
}

function shortPeer(peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

/** How other nodes reach this one, in one sentence. */
export function reachabilityText(status: NodeStatus, now: number): string {
  const { reachability } = status
  if (reachability.status === 'public') return `Reachable at ${reachability.publicAddresses.join(', ')}`
  const relays = reachability.relays.map(shortPeer).join(', ')
  if (reachability.status === 'behind-nat') {
    return relays === ''
      ? `Behind NAT, and no relay holds a reservation for this node: other nodes cannot dial it.${reservationRetryText(reachability.reservationRetry, now)}`
      : `Behind NAT, reachable through relay ${relays}`
  }
  return relays === ''
    ? `Not known yet: no peer outside this network has seen this node.${reservationRetryText(reachability.reservationRetry, now)}`
    : `Not known yet; reachable through relay ${relays} as well`
}

function ReachabilitySection({ status }: { status: NodeStatus }) {
  const { reachability } = status
  // The next reservation request counts down between status events.
  const now = useNow(1_000)
  return (
    <section className="panel" aria-labelledby="reachability-heading">
      <h2 id="reachability-heading">Reachability</h2>
      <p data-testid="reachability">{reachabilityText(status, now)}</p>
      {status.peers.length === 0 && (
        <p className="error" role="status" data-testid="no-peers">
          No peer is connected, so this node sees no market.{' '}
          {status.redialing.length > 0
            ? `It keeps dialling the ${status.redialing.length === 1 ? 'peer' : `${status.redialing.length} peers`} it knows (listed under Connected peers).`
            : 'Connect to a peer below, or start the node with a bootstrap peer.'}
        </p>
      )}
      {reachability.relayAddresses.length > 0 && (
        <ul className="address-list" data-testid="relay-addresses">
          {reachability.relayAddresses.map((address) => (
            <li key={address} className="copyable">
              <code>{address}</code>
              <CopyButton text={address} label={`Copy address ${address}`} />
            </li>
          ))}
        </ul>
      )}
      {reachability.relayService && (
        <p data-testid="relay-service">
          This node relays for others: {reachability.relayService.reservations} of{' '}
          {reachability.relayService.maxReservations} reservations in use.
        </p>
      )}
    </section>
  )
}

/** Offer relay service from the next start: the app's counterpart of cyclex serve --relay. */
function RelaySetting({ client, offering }: { client: ApiClient; offering: boolean }) {
  const { settings, update } = useSettings(client, 0)
  const [message, setMessage] = useState<string>()
  if (!settings) return null
  const wanted = settings.offerRelay ?? false
  const save = (patch: { offerRelay?: boolean; relayMaxReservations?: number }): void => {
    update(patch).then(
      () => setMessage(undefined),
      (error: unknown) => setMessage(error instanceof Error ? error.message : String(error)),
    )
  }
  return (
    <section className="panel" aria-labelledby="relay-heading">
      <h2 id="relay-heading">Relay for others</h2>
      <label className="checkbox">
        <input
          type="checkbox"
          data-testid="offer-relay"
          checked={wanted}
          onChange={(event) => save({ offerRelay: event.target.checked })}
        />
        Let nodes behind NATs reach others through this node (for a node with a public address)
      </label>
      <label>
        At most{' '}
        <input
          type="number"
          min={1}
          max={10_000}
          data-testid="relay-max-reservations"
          value={settings.relayMaxReservations ?? 64}
          onChange={(event) => {
            const value = Number(event.target.value)
            if (Number.isInteger(value) && value >= 1) save({ relayMaxReservations: value })
          }}
        />{' '}
        nodes at once
      </label>
      {wanted !== offering && (
        <p className="hint" data-testid="relay-restart">
          {wanted
            ? 'The relay starts at the next start of the node.'
            : 'The relay stops at the next start of the node, unless it is started with --relay.'}
        </p>
      )}
      {message && <p className="error">{message}</p>}
    </section>
  )
}

function connectionKindText(peer: PeerConnection): string {
  if (peer.kind === 'relayed') return peer.relay ? `Relayed via ${shortPeer(peer.relay)}` : 'Relayed'
  return peer.kind === 'hole-punched' ? 'Direct (upgraded from relayed)' : 'Direct'
}

function RedialList({ redialing }: { redialing: readonly RedialState[] }) {
  const now = useNow(1_000)
  if (redialing.length === 0) return null
  return (
    <ul className="redial-list" data-testid="redialing">
      {redialing.map((entry) => (
        <li key={entry.peerId} title={entry.lastError ?? undefined}>
          Trying {entry.reason === 'relay' ? 'relay' : entry.reason === 'saved' ? 'saved peer' : 'bootstrap peer'}{' '}
          <code>{shortPeer(entry.peerId)}</code> again
          {entry.nextAttemptAt > now ? ` in ${Math.ceil((entry.nextAttemptAt - now) / 1000)} s` : ' now'} (
          {entry.attempts} {entry.attempts === 1 ? 'attempt' : 'attempts'}
          {entry.lastError ? `; last: ${entry.lastError}` : ''})
        </li>
      ))}
    </ul>
  )
}

function PeersSection({
  client,
  peers,
  redialing,
  onConnected,
}: {
  client: ApiClient
  peers: readonly PeerConnection[]
  redialing: readonly RedialState[]
  onConnected: () => void
}) {
  return (
    <section className="panel" aria-labelledby="peers-heading">
      <h2 id="peers-heading">
        Connected peers{' '}
        <span className="count" data-testid="peer-count">
          {peers.length}
        </span>
      </h2>
      <ConnectForm client={client} onConnected={onConnected} />
      <div data-testid="peer-list" className="peer-list">
        {peers.length === 0 ? (
          <div className="empty-state">
            <p className="empty-state-title">No peers connected</p>
            {redialing.length > 0 && <p>This node keeps dialling the peers it knows:</p>}
            <p>
              Nodes on your local network usually show up here by themselves. To reach a node elsewhere, paste its
              address above; the other node’s Node page lists its addresses.
            </p>
          </div>
        ) : (
          <PeerTable peers={peers} />
        )}
        <RedialList redialing={redialing} />
      </div>
    </section>
  )
}

function PeerTable({ peers }: { peers: readonly PeerConnection[] }) {
  const now = useNow(15_000)
  return (
    <table className="peer-table">
      <caption className="visually-hidden">{formatPeerCount(peers.length)} connected</caption>
      <thead>
        <tr>
          <th scope="col">Peer</th>
          <th scope="col" className="numeric">
            Latency
          </th>
          <th scope="col">Direction</th>
          <th scope="col">Connection</th>
          <th scope="col" className="numeric">
            Connected
          </th>
        </tr>
      </thead>
      <tbody>
        {peers.map((peer) => (
          <tr key={peer.peerId} data-testid="peer-row">
            <td>
              <code className="peer-id" title={peer.peerId}>
                {peer.peerId}
              </code>
              {peer.addresses.map((address) => (
                <span key={address} className="peer-address">
                  {address}
                </span>
              ))}
            </td>
            <td className="numeric" data-testid="peer-latency">
              {formatLatency(peer.latencyMs)}
            </td>
            <td>{peer.direction === 'inbound' ? 'Inbound' : 'Outbound'}</td>
            <td data-testid="peer-connection-kind">{connectionKindText(peer)}</td>
            <td className="numeric" title={new Date(peer.connectedAt).toLocaleString()}>
              {formatAge(peer.connectedAt, now)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

type ConnectState =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'failed'; message: string }
  | { kind: 'connected'; peerId: string }

function ConnectForm({ client, onConnected }: { client: ApiClient; onConnected: () => void }) {
  const [address, setAddress] = useState('')
  const [remember, setRemember] = useState(false)
  const [state, setState] = useState<ConnectState>({ kind: 'idle' })

  async function connect(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault()
    if (state.kind === 'connecting') return
    const trimmed = address.trim()
    if (trimmed === '') {
      setState({
        kind: 'failed',
        message: 'Enter the address of a peer, such as /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW…',
      })
      return
    }
    setState({ kind: 'connecting' })
    try {
      const peer = await client.call('node.connect', { address: trimmed, remember })
      setState({ kind: 'connected', peerId: peer.peerId })
      setAddress('')
      onConnected()
    } catch (error) {
      setState({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }

  const failed = state.kind === 'failed'
  return (
    <form className="connect-form" onSubmit={(event) => void connect(event)} noValidate>
      <label htmlFor="connect-address">Connect to a peer by its address</label>
      <div className="connect-row">
        <input
          id="connect-address"
          data-testid="connect-address"
          type="text"
          value={address}
          onChange={(event) => setAddress(event.target.value)}
          placeholder="/ip4/192.168.1.20/tcp/4001/p2p/12D3KooW…"
          spellCheck={false}
          autoComplete="off"
          autoCapitalize="off"
          aria-invalid={failed}
          aria-describedby="connect-message"
        />
        <button
          type="submit"
          className="button button-primary"
          data-testid="connect-button"
          aria-busy={state.kind === 'connecting'}
        >
          <StableLabel
            texts={{ idle: 'Connect', busy: 'Connecting…' }}
            current={state.kind === 'connecting' ? 'busy' : 'idle'}
          />
        </button>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} />
        Remember this peer (connect again at every start)
      </label>
      <div id="connect-message" className="form-message" aria-live="polite">
        {failed && (
          <p className="error" data-testid="connect-error">
            {state.message}
          </p>
        )}
        {state.kind === 'connected' && (
          <p className="success" data-testid="connect-success">
            Connected to <code>{state.peerId}</code>
          </p>
        )}
      </div>
    </form>
  )
}
