// The members of the market (DESIGN section 8): who they are, whether they are here, what their
// signed profiles say, how much they trade; the groups orders can name as counterparties; this
// node's blocklist; and the swarm key that closes a group of nodes into a market of its own.
import { useEffect, useState, type FormEvent } from 'react'
import type { ApiClient, NodeStatus } from '../../../shared/api/contract'
import type { GroupView, MemberView } from '../../../shared/api/members'
import type { SignedProfileRecordJson } from '../../../shared/benchmark/profile'
import { CopyButton } from '../components/CopyButton'
import { useNow } from '../hooks/use-now'
import { formatTime, shortPeer } from '../market/market-format'
import { MemberCard, OverCommittedBadge, StatusDot } from '../members/MemberCard'
import {
  formatBandwidth,
  formatLastSeen,
  formatNetwork,
  formatOs,
  formatStorage,
  groupLabel,
  memberName,
  statusLabels,
} from '../members/member-format'
import type { MembersView } from '../members/use-members'
import { PageHeader } from './PageHeader'
import { PresenceChoice } from '../members/PresenceChoice'
import type { ReputationView } from '../../../shared/api/delivery'
import { failureCount, reputationText } from '../delivery/reputation-format'
import { useReputation } from '../delivery/use-ledger'

interface MembersPageProps {
  client: ApiClient
  members: MembersView
  status: NodeStatus | undefined
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export function MembersPage({ client, members, status }: MembersPageProps) {
  const now = useNow(15_000)
  // The list is loaded when the app starts, and events keep names and presence current but not the
  // figures the market moves (open orders, trades) nor when an online member was last heard from:
  // read it again when the page opens and every 15 seconds while it is open.
  const { reload } = members
  useEffect(() => {
    reload()
  }, [reload, now])
  const [selected, setSelected] = useState<string>()
  const [actionError, setActionError] = useState<string>()
  const byPeer = new Map(members.members.map((member) => [member.peerId, member]))
  const reputation = useReputation(client)
  const nameOf = (peerId: string): string => memberName(byPeer.get(peerId), peerId)

  async function act(action: () => Promise<void>): Promise<void> {
    setActionError(undefined)
    try {
      await action()
    } catch (error) {
      setActionError(errorText(error))
    }
  }

  return (
    <div className="members-page">
      <PageHeader title="Members">
        {status && (
          <span
            className={`badge${status.privateNetwork ? ' badge-private' : ''}`}
            data-testid="network-badge"
            title={
              status.privateNetwork
                ? 'This node runs with a swarm key: only peers holding the same key can connect'
                : 'This node is in the public market'
            }
          >
            {status.privateNetwork ? 'Private network' : 'Public market'}
          </span>
        )}
        <PresenceChoice client={client} current={members.members.find((member) => member.self)?.status} />
      </PageHeader>
      {members.error && (
        <p className="panel error-panel" role="alert">
          Could not load the members: {members.error.message}
        </p>
      )}
      {actionError && (
        <p className="panel error-panel" role="alert" data-testid="members-error">
          {actionError}
        </p>
      )}
      <section className="panel" aria-labelledby="members-heading">
        <h2 id="members-heading">
          Members <span className="count">{members.members.length}</span>
        </h2>
        {!members.loaded ? (
          <p className="empty-state">Loading the members…</p>
        ) : members.members.length <= 1 ? (
          <p className="empty-state" data-testid="members-alone">
            No other member has been heard from yet. Members appear here when their nodes connect to this one, or to a
            peer of it, and publish their profiles.
          </p>
        ) : null}
        {members.members.length > 0 && (
          <div className="table-scroll">
            <table className="data-table members-table" data-testid="members">
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">OS</th>
                  <th scope="col" className="numeric">
                    GFLOPS/core
                  </th>
                  <th scope="col" className="numeric">
                    Cores
                  </th>
                  <th scope="col" className="numeric">
                    Storage
                  </th>
                  <th scope="col" className="numeric">
                    Bandwidth
                  </th>
                  <th scope="col">Network</th>
                  <th scope="col">Groups</th>
                  <th scope="col" className="numeric">
                    Open orders
                  </th>
                  <th scope="col" className="numeric">
                    Trades
                  </th>
                  <th scope="col">
                    Delivered as seller{reputation.days === undefined ? '' : `, last ${reputation.days} days`}
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.members.map((member) => (
                  <MemberRow
                    key={member.peerId}
                    member={member}
                    now={now}
                    reputation={reputation.byPeer.get(member.peerId)}
                    selected={selected === member.peerId}
                    onProfile={() => setSelected(selected === member.peerId ? undefined : member.peerId)}
                    onBlock={() => void act(() => members.block(member.peerId))}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {selected && (
        <ProfilePanel
          key={selected}
          client={client}
          member={byPeer.get(selected)}
          peerId={selected}
          now={now}
          onClose={() => setSelected(undefined)}
        />
      )}
      <GroupsSection members={members} nameOf={nameOf} act={act} />
      <BlockedSection members={members} now={now} act={act} />
      <SwarmKeySection client={client} privateNetwork={status?.privateNetwork} />
    </div>
  )
}

function MemberRow({
  member,
  now,
  reputation,
  selected,
  onProfile,
  onBlock,
}: {
  member: MemberView
  now: number
  reputation: ReputationView | undefined
  selected: boolean
  onProfile(): void
  onBlock(): void
}) {
  return (
    <tr data-testid="member-row" data-peer={member.peerId} data-status={member.status} data-self={member.self}>
      <td>
        <span className="member-name">
          <StatusDot status={member.status} />
          <span>
            <strong data-testid="member-name">{memberName(member, member.peerId)}</strong>
            {member.self && <span className="badge badge-small">this node</span>}
            {member.overCommitted > 0 && (
              <>
                {' '}
                <OverCommittedBadge count={member.overCommitted} />
              </>
            )}
            <br />
            <code className="muted" title={member.peerId}>
              {shortPeer(member.peerId)}
            </code>
          </span>
        </span>
      </td>
      <td className="last-seen">
        <span className="visually-hidden">{statusLabels[member.status]}, </span>
        {member.self ? 'now' : formatLastSeen(member.lastSeen, now)}
      </td>
      <td>{formatOs(member.os)}</td>
      <td className="numeric">{member.gflopsPerCore ?? '—'}</td>
      <td className="numeric">{member.cores ?? '—'}</td>
      <td className="numeric">{formatStorage(member.storageGb)}</td>
      <td className="numeric">{formatBandwidth(member.bandwidthMbps)}</td>
      <td className="wrap">{formatNetwork(member.network)}</td>
      <td className="wrap">
        {member.groups.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          member.groups.map((group) => (
            <code key={group} className="group-chip">
              {group.split('/').at(-1)}
            </code>
          ))
        )}
      </td>
      <td className="numeric">{member.openOrders}</td>
      <td className="numeric">{member.trades}</td>
      <td className="member-reputation" data-testid="member-reputation">
        {reputation && reputation.agreementsAsSeller > 0 ? (
          <span title={reputationText(reputation)}>
            {reputation.deliveryRatio === null ? '—' : `${Math.round(reputation.deliveryRatio * 100)}%`} ·{' '}
            {failureCount(reputation)} failed
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="row-actions">
        <button
          type="button"
          className="button button-small"
          aria-expanded={selected}
          onClick={onProfile}
          data-testid="member-profile"
        >
          Profile
        </button>
        {!member.self && (
          <button
            type="button"
            className="button button-small button-danger"
            onClick={onBlock}
            data-testid="member-block"
          >
            Block
          </button>
        )}
      </td>
    </tr>
  )
}

type ProfileState =
  | { kind: 'loading' }
  | { kind: 'none' }
  | { kind: 'loaded'; signed: SignedProfileRecordJson; member: MemberView }
  | { kind: 'failed'; message: string }

function ProfilePanel({
  client,
  member,
  peerId,
  now,
  onClose,
}: {
  client: ApiClient
  member: MemberView | undefined
  peerId: string
  now: number
  onClose(): void
}) {
  const [state, setState] = useState<ProfileState>({ kind: 'loading' })
  // Reloaded when the member publishes a new profile.
  const publishedAt = member?.publishedAt
  useEffect(() => {
    let current = true
    client.call('members.profile', { peerId }).then(
      (answer) =>
        current &&
        setState(answer ? { kind: 'loaded', signed: answer.signed, member: answer.member } : { kind: 'none' }),
      (error: unknown) => current && setState({ kind: 'failed', message: errorText(error) }),
    )
    return () => {
      current = false
    }
  }, [client, peerId, publishedAt])
  const profile = state.kind === 'loaded' ? state.signed.profile : undefined
  return (
    <section className="panel" aria-labelledby="profile-heading" data-testid="profile-panel">
      <div className="panel-title-row">
        <h2 id="profile-heading">Profile of {memberName(member, peerId)}</h2>
        <button type="button" className="button button-small" onClick={onClose}>
          Close
        </button>
      </div>
      <MemberCard member={member ?? (state.kind === 'loaded' ? state.member : undefined)} peerId={peerId} now={now} />
      {state.kind === 'loading' && <p className="muted">Loading the signed profile…</p>}
      {state.kind === 'none' && <p className="muted">This node holds no signed profile of this peer.</p>}
      {state.kind === 'failed' && <p className="error">{state.message}</p>}
      {profile && state.kind === 'loaded' && (
        <>
          <h3>Signed profile</h3>
          <dl className="fields fields-compact" data-testid="signed-profile">
            <dt>Signed</dt>
            <dd>{formatTime(profile.publishedAt ?? 0)} by its owner’s peer key (Ed25519), checked by this node</dd>
            {profile.measuredAt !== undefined && (
              <>
                <dt>Benchmarked</dt>
                <dd>{formatTime(profile.measuredAt)}</dd>
              </>
            )}
            {profile.benchmark && (
              <>
                <dt>Benchmark</dt>
                <dd>
                  {profile.benchmark.cpuModel} · float64 {profile.benchmark.f64SingleMflops.toLocaleString()} MFLOPS one
                  core, {profile.benchmark.f64MultiMflops.toLocaleString()} all cores · storage{' '}
                  {profile.benchmark.storageWriteMBps} MB/s write, {profile.benchmark.storageReadMBps} MB/s read ·{' '}
                  {profile.benchmark.memoryMb.toLocaleString()} MB memory
                </dd>
              </>
            )}
            <dt>Signature</dt>
            <dd>
              <code className="signature">{state.signed.signature}</code>
            </dd>
          </dl>
        </>
      )}
    </section>
  )
}

function GroupsSection({
  members,
  nameOf,
  act,
}: {
  members: MembersView
  nameOf(peerId: string): string
  act(action: () => Promise<void>): Promise<void>
}) {
  const [name, setName] = useState('')
  const [chosen, setChosen] = useState<string[]>([])
  const others = members.members.filter((member) => !member.self)
  const mine = members.groups.filter((group) => group.mine)
  const memberOf = members.groups.filter((group) => !group.mine && group.memberOf)

  function create(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault()
    void act(async () => {
      await members.createGroup(name.trim(), chosen)
      setName('')
      setChosen([])
    })
  }

  return (
    <section className="panel" aria-labelledby="groups-heading">
      <h2 id="groups-heading">Groups</h2>
      <p className="hint">
        A group is a signed list of members. Name it in an order’s preferred counterparties to trade only with its
        members.
      </p>
      <form className="group-create" onSubmit={create} aria-label="Create a group">
        <label>
          New group name
          <input
            type="text"
            value={name}
            maxLength={64}
            placeholder="lab-a"
            onChange={(event) => setName(event.target.value)}
            data-testid="group-name"
          />
        </label>
        {others.length > 0 && (
          <fieldset className="group-pick">
            <legend>Members</legend>
            {others.map((member) => (
              <label key={member.peerId} className="checkbox">
                <input
                  type="checkbox"
                  checked={chosen.includes(member.peerId)}
                  onChange={(event) =>
                    setChosen(
                      event.target.checked
                        ? [...chosen, member.peerId]
                        : chosen.filter((kept) => kept !== member.peerId),
                    )
                  }
                  data-testid="group-pick"
                />
                {memberName(member, member.peerId)}
              </label>
            ))}
          </fieldset>
        )}
        <button
          type="submit"
          className="button button-primary"
          disabled={name.trim() === ''}
          data-testid="group-create"
        >
          Create group
        </button>
      </form>
      <h3>Mine</h3>
      {mine.length === 0 ? (
        <p className="empty-state" data-testid="groups-mine-empty">
          You own no group yet.
        </p>
      ) : (
        <ul className="group-list" data-testid="groups-mine">
          {mine.map((group) => (
            <OwnedGroup key={group.id} group={group} members={members} nameOf={nameOf} act={act} />
          ))}
        </ul>
      )}
      <h3>Member of</h3>
      {memberOf.length === 0 ? (
        <p className="empty-state">No other member has put this node in a group.</p>
      ) : (
        <ul className="group-list" data-testid="groups-member-of">
          {memberOf.map((group) => (
            <li key={group.id} className="group-item">
              <strong>{groupLabel(group, nameOf(group.owner))}</strong>{' '}
              <code className="muted">
                {group.id.length > 40 ? `${shortPeer(group.owner)}/${group.name}` : group.id}
              </code>
              <p className="muted">{group.members.map(nameOf).join(', ')}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function OwnedGroup({
  group,
  members,
  nameOf,
  act,
}: {
  group: GroupView
  members: MembersView
  nameOf(peerId: string): string
  act(action: () => Promise<void>): Promise<void>
}) {
  const [adding, setAdding] = useState('')
  const candidates = members.members.filter((member) => !member.self && !group.members.includes(member.peerId))
  return (
    <li className="group-item" data-testid="group" data-group={group.id}>
      <div className="panel-title-row">
        <strong>{group.name}</strong>
        <span className="copyable">
          <code className="muted" title={group.id}>
            {shortPeer(group.owner)}/{group.name}
          </code>
          <CopyButton text={group.id} label={`Copy the id of group ${group.name}`} />
        </span>
      </div>
      {group.members.length === 0 ? (
        <p className="muted">No members yet.</p>
      ) : (
        <ul className="chip-list">
          {group.members.map((peerId) => (
            <li key={peerId} className="chip" data-testid="group-member">
              {nameOf(peerId)}
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${nameOf(peerId)} from ${group.name}`}
                onClick={() => void act(() => members.removeFromGroup(group.name, peerId))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {candidates.length > 0 && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault()
            if (adding) void act(() => members.addToGroup(group.name, adding)).then(() => setAdding(''))
          }}
        >
          <label className="visually-hidden" htmlFor={`add-${group.id}`}>
            Add a member to {group.name}
          </label>
          <select
            id={`add-${group.id}`}
            value={adding}
            onChange={(event) => setAdding(event.target.value)}
            data-testid="group-add-select"
          >
            <option value="">Add a member…</option>
            {candidates.map((member) => (
              <option key={member.peerId} value={member.peerId}>
                {memberName(member, member.peerId)}
              </option>
            ))}
          </select>
          <button type="submit" className="button button-small" disabled={adding === ''} data-testid="group-add">
            Add
          </button>
        </form>
      )}
    </li>
  )
}

function BlockedSection({
  members,
  now,
  act,
}: {
  members: MembersView
  now: number
  act(action: () => Promise<void>): Promise<void>
}) {
  return (
    <section className="panel" aria-labelledby="blocked-heading">
      <h2 id="blocked-heading">
        Blocked <span className="count">{members.blocked.length}</span>
      </h2>
      <p className="hint">
        A blocked peer cannot connect to this node and is hidden from the members. Its orders still reach the book
        through other peers: to trade only with chosen peers, name them or a group in your orders.
      </p>
      {members.blocked.length === 0 ? (
        <p className="empty-state" data-testid="blocked-empty">
          No peer is blocked.
        </p>
      ) : (
        <ul className="plain-list" data-testid="blocked">
          {members.blocked.map((peer) => (
            <li key={peer.peerId} className="blocked-row" data-testid="blocked-row" data-peer={peer.peerId}>
              <span>
                <strong>{peer.displayName || shortPeer(peer.peerId)}</strong>{' '}
                <code className="muted" title={peer.peerId}>
                  {shortPeer(peer.peerId)}
                </code>{' '}
                <span className="muted">blocked {formatLastSeen(peer.blockedAt, now).replace(/^seen /, '')}</span>
                {peer.overCommitted > 0 && (
                  <>
                    {' '}
                    <OverCommittedBadge count={peer.overCommitted} />
                  </>
                )}
              </span>
              <button
                type="button"
                className="button button-small"
                onClick={() => void act(() => members.unblock(peer.peerId))}
                data-testid="member-unblock"
              >
                Unblock
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

type KeyState =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'shown'; text: string; file: string | null; created: boolean }
  | { kind: 'failed'; message: string; exists: boolean }

function SwarmKeySection({ client, privateNetwork }: { client: ApiClient; privateNetwork: boolean | undefined }) {
  const [state, setState] = useState<KeyState>({ kind: 'idle' })

  async function create(overwrite: boolean): Promise<void> {
    setState({ kind: 'busy' })
    try {
      const key = await client.call('network.createSwarmKey', overwrite ? { overwrite: true } : {})
      setState({ kind: 'shown', text: key.text, file: key.file, created: true })
    } catch (error) {
      const message = errorText(error)
      setState({ kind: 'failed', message, exists: /exist/i.test(message) })
    }
  }

  async function showCurrent(): Promise<void> {
    setState({ kind: 'busy' })
    try {
      const answer = await client.call('network.swarmKey', {})
      setState(
        answer.key
          ? { kind: 'shown', text: answer.key.text, file: answer.key.file, created: false }
          : { kind: 'failed', message: 'This node has no swarm key.', exists: false },
      )
    } catch (error) {
      setState({ kind: 'failed', message: errorText(error), exists: false })
    }
  }

  return (
    <section className="panel" aria-labelledby="swarm-heading">
      <h2 id="swarm-heading">Closed peer group (swarm key)</h2>
      <p className="hint">
        Nodes that share a swarm key form a private network: they connect only to each other and trade in a market of
        their own. {privateNetwork ? 'This node runs with a key now.' : 'This node is in the public market now.'}
      </p>
      <div className="order-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={state.kind === 'busy'}
          onClick={() => void create(false)}
          data-testid="create-swarm-key"
        >
          Create swarm key
        </button>
        <button
          type="button"
          className="button"
          disabled={state.kind === 'busy'}
          onClick={() => void showCurrent()}
          data-testid="show-swarm-key"
        >
          Show the current key
        </button>
      </div>
      {state.kind === 'failed' && (
        <div className="form-message">
          <p className="error" role="alert">
            {state.message}
          </p>
          {state.exists && (
            <button type="button" className="button button-small button-danger" onClick={() => void create(true)}>
              Replace it with a new key
            </button>
          )}
        </div>
      )}
      {state.kind === 'shown' && (
        <div className="swarm-key" data-testid="swarm-key">
          <div className="copyable">
            <pre data-testid="swarm-key-text">{state.text}</pre>
            <CopyButton text={state.text} label="Copy the swarm key" testId="copy-swarm-key" />
          </div>
          <p className="hint">
            {state.created ? 'Written to ' : 'Kept in '}
            {state.file ? <code>{state.file}</code> : 'memory'}. Share the text only over a channel you trust: anyone
            with it can join. Each member saves it to a file and restarts with{' '}
            <code>cyclex serve --swarm-key FILE</code>. A running node does not switch networks; with the key it can no
            longer reach the public market.
          </p>
        </div>
      )}
    </section>
  )
}
