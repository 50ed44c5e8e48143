// A member at a glance: status, name, and what its signed profile says about its machine. Used by
// the members page's profile panel and by the negotiation dialog for the counterparty.
import type { MemberView } from '../../../shared/api/members'
import {
  formatBandwidth,
  formatLastSeen,
  formatNetwork,
  formatOs,
  formatStorage,
  memberName,
  statusLabels,
} from './member-format'
import type { ReputationView } from '../../../shared/api/delivery'
import { failureCount, reputationText } from '../delivery/reputation-format'

export function StatusDot({ status }: { status: MemberView['status'] }) {
  return (
    <span
      className={`member-dot member-dot-${status}`}
      role="img"
      aria-label={statusLabels[status]}
      title={statusLabels[status]}
    />
  )
}

/** The state proves this party committed orders beyond their quantity: its extra agreements are void. */
export function OverCommittedBadge({ count }: { count: number }) {
  return (
    <span
      className="badge badge-danger"
      data-testid="overcommitted-badge"
      title="Signed confirms beyond an ask, or takes in force at once beyond a bid: the market voids the excess (docs/matcher.md §2a)"
    >
      over-committed {count} {count === 1 ? 'order' : 'orders'}
    </span>
  )
}

export function MemberCard({
  member,
  peerId,
  now,
  reputation,
}: {
  member: MemberView | undefined
  peerId: string
  now: number
  reputation?: ReputationView | undefined
}) {
  if (!member) {
    return (
      <p className="muted" data-testid="member-card-unknown">
        No profile from <code title={peerId}>{memberName(undefined, peerId)}</code> has reached this node yet.
      </p>
    )
  }
  return (
    <div className="member-card" data-testid="member-card">
      <p className="member-card-name">
        <StatusDot status={member.status} /> <strong>{memberName(member, member.peerId)}</strong>{' '}
        <span className="muted">
          {/* Online or away means heard from within its last few heartbeats; the view's lastSeen is as old as
              the list this card was given, so only an offline member's is worth saying. */}
          {member.status === 'offline'
            ? `${statusLabels[member.status].toLowerCase()}, ${formatLastSeen(member.lastSeen, now)}`
            : `${statusLabels[member.status].toLowerCase()} now`}
        </span>
      </p>
      <dl className="fields fields-compact">
        <dt>Peer ID</dt>
        <dd>
          <code className="peer-id-text">{member.peerId}</code>
        </dd>
        <dt>Machine</dt>
        <dd>
          {formatOs(member.os)}
          {member.cores !== null && ` · ${member.cores} cores`}
          {member.gflopsPerCore !== null ? ` · ${member.gflopsPerCore} GFLOPS per core` : ' · not benchmarked'}
        </dd>
        <dt>Storage</dt>
        <dd>{formatStorage(member.storageGb)}</dd>
        <dt>Network</dt>
        <dd>
          {member.bandwidthMbps === null
            ? 'bandwidth not measured'
            : `${formatBandwidth(member.bandwidthMbps)} measured`}{' '}
          · {formatNetwork(member.network)}
        </dd>
        <dt>In the market</dt>
        <dd>
          {member.openOrders} open {member.openOrders === 1 ? 'order' : 'orders'} · {member.trades}{' '}
          {member.trades === 1 ? 'trade' : 'trades'}
          {member.groups.length > 0 && ` · groups ${member.groups.join(', ')}`}
        </dd>
        {member.overCommitted > 0 && (
          <>
            <dt>Over-committed</dt>
            <dd className="member-overcommitted" data-testid="member-overcommitted">
              <OverCommittedBadge count={member.overCommitted} />
            </dd>
          </>
        )}
        {reputation && reputation.agreementsAsSeller > 0 && (
          <>
            <dt>As a seller</dt>
            <dd className="member-reputation" data-testid="member-reputation">
              {reputationText(reputation)} · {failureCount(reputation)} failed, stopped or refused
            </dd>
          </>
        )}
      </dl>
    </div>
  )
}
