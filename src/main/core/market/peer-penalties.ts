// Misbehaviour gossipsub cannot see for itself (a sync partner that sends garbage, invalid facts over
// sync) lowers the peer's gossip score through gossipsub's application-specific score. Each penalty
// fades over a few minutes, so a peer that had a bad moment is not shut out for good.

export interface PeerPenaltiesInit {
  /** Points a penalty costs at first; default 20 (gossip stops below -10). */
  pointsPerPenalty?: number
  /** How long a penalty lasts, fading linearly; default 5 minutes. */
  fadeMs?: number
}

export class PeerPenalties {
  private readonly penalties = new Map<string, number[]>()
  private readonly pointsPerPenalty: number
  private readonly fadeMs: number

  constructor(
    init: PeerPenaltiesInit = {},
    private readonly now: () => number = Date.now,
  ) {
    this.pointsPerPenalty = init.pointsPerPenalty ?? 20
    this.fadeMs = init.fadeMs ?? 300_000
  }

  penalize(peer: string): void {
    const times = this.penalties.get(peer) ?? []
    times.push(this.now())
    this.penalties.set(peer, times)
  }

  /** The peer's application-specific score: 0 for a well-behaved peer, negative after penalties. */
  score(peer: string): number {
    const times = this.penalties.get(peer)
    if (!times) return 0
    const now = this.now()
    const live = times.filter((time) => now - time < this.fadeMs)
    if (live.length === 0) {
      this.penalties.delete(peer)
      return 0
    }
    this.penalties.set(peer, live)
    return -live.reduce((total, time) => total + this.pointsPerPenalty * (1 - (now - time) / this.fadeMs), 0)
  }
}
