// The members' presence as their heartbeats tell it (docs/members.md): online or away while they
// arrive, offline after three of the member's intervals without one, or at once on its goodbye.
import { LRUCache } from 'lru-cache'
import type { MemberStatus } from '../../../shared/api/members'
import type { PresenceStatus } from './wire'

interface Presence {
  status: PresenceStatus
  at: number
  /** By this node's clock: past it, with no newer heartbeat, the member is offline. */
  expiresAt: number
  receivedAt: number
}

/**
 * At most this many owners' heartbeats are tracked (a hostile peer can make up owners): past it the
 * owner heard from least recently is forgotten, which is an expired one whenever there is one, and
 * shows offline until its next heartbeat.
 */
export const maxTrackedPresence = 10_000

export class PresenceTable {
  private readonly presence = new LRUCache<string, Presence>({ max: maxTrackedPresence })

  get size(): number {
    return this.presence.size
  }

  /** The time of the owner's latest heartbeat (its own clock), for the intake's staleness check. */
  at(owner: string): number | undefined {
    return this.presence.peek(owner)?.at
  }

  /** When this node last heard a heartbeat of the owner (its own clock). */
  receivedAt(owner: string): number | undefined {
    return this.presence.peek(owner)?.receivedAt
  }

  record(owner: string, heartbeat: { status: PresenceStatus; at: number }, intervalMs: number, now: number): void {
    this.presence.set(owner, {
      status: heartbeat.status,
      at: heartbeat.at,
      expiresAt: now + 3 * intervalMs,
      receivedAt: now,
    })
  }

  statusOf(owner: string, now: number): MemberStatus {
    const presence = this.presence.peek(owner)
    if (!presence || presence.status === 'offline' || now > presence.expiresAt) return 'offline'
    return presence.status
  }

  owners(): IterableIterator<string> {
    return this.presence.keys()
  }
}
